"""The database refuses changes to pass events (behind the model and queryset guards)."""

from django.db import migrations

from core.db import append_only_table


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [append_only_table("ledger_passevent", "Le registre des pass")]
