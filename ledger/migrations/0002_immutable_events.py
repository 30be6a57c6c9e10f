"""The database refuses changes to pass events (behind the model and queryset guards).

PostgreSQL refuses UPDATE and DELETE; SQLite refuses UPDATE (its test flush needs DELETE)."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Le registre des pass est en ajout seul (% refusé)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_passevent_no_update_or_delete
    BEFORE UPDATE OR DELETE ON ledger_passevent
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS ledger_passevent_no_update_or_delete ON ledger_passevent;
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""
SQLITE_UP = """
CREATE TRIGGER ledger_passevent_no_update BEFORE UPDATE ON ledger_passevent
BEGIN SELECT RAISE(ABORT, 'Le registre des pass est en ajout seul (UPDATE refusé)'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS ledger_passevent_no_update;"


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
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
