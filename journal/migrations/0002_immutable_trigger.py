"""The database itself refuses changes to journal entries (defence in depth behind the model)."""

from django.db import migrations

from core.db import append_only_table


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial")]
    operations = [append_only_table("journal_journalentry", "Le journal")]
