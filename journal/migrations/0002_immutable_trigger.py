"""The database itself refuses changes to journal entries (defence in depth behind the model).

PostgreSQL refuses UPDATE and DELETE; SQLite refuses UPDATE (its test flush uses DELETE, and the
model and queryset already refuse deletes). TRUNCATE, used by PostgreSQL test flushes, is left alone.
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION journal_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Le journal est en ajout seul (% refusé)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER journal_no_update_or_delete
    BEFORE UPDATE OR DELETE ON journal_journalentry
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS journal_no_update_or_delete ON journal_journalentry;
DROP FUNCTION IF EXISTS journal_refuse_change();
"""
SQLITE_UP = """
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal_journalentry
BEGIN SELECT RAISE(ABORT, 'Le journal est en ajout seul (UPDATE refusé)'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS journal_no_update;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
