"""Database helpers shared by the apps."""

from django.db import migrations


def append_only_table(table: str, label: str) -> migrations.RunPython:
    """A migration operation making ``table`` append-only in the database itself.

    PostgreSQL refuses UPDATE and DELETE with a trigger (TRUNCATE, used by test flushes, is left
    alone); SQLite refuses UPDATE (its test flush uses DELETE; the model and queryset guards refuse
    deletes). ``label`` names the table in the error message, in French.
    """
    function, trigger = f"{table}_refuse_change", f"{table}_append_only"
    pg_up = f"""
    CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{label} est en ajout seul (% refusé)', TG_OP;
    END;
    $$ LANGUAGE plpgsql;
    CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {function}();
    """
    pg_down = f"DROP TRIGGER IF EXISTS {trigger} ON {table}; DROP FUNCTION IF EXISTS {function}();"
    sqlite_up = (
        f"CREATE TRIGGER {trigger} BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{label} est en ajout seul (UPDATE refusé)'); END;"
    )
    sqlite_down = f"DROP TRIGGER IF EXISTS {trigger};"

    def forwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(pg_up, params=None)
        elif vendor == "sqlite":
            schema_editor.execute(sqlite_up)

    def backwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(pg_down, params=None)
        elif vendor == "sqlite":
            schema_editor.execute(sqlite_down)

    return migrations.RunPython(forwards, backwards)
