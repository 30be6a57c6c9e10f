"""Restore the partial unique index « a pass is paid at most once ».

On PostgreSQL, 0002 (db_index=False on PaymentItem.pass_obj) made Django drop every single-column
b-tree index on pass_id — including this partial unique index, which is a UniqueConstraint and not
a Meta index. Removing (DROP INDEX IF EXISTS) and adding it again puts it back on every backend.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0002_item_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="paymentitem",
            name="payment_item_pass_paid_once",
        ),
        migrations.AddConstraint(
            model_name="paymentitem",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_rejected", False)),
                fields=("pass_obj",),
                name="payment_item_pass_paid_once",
            ),
        ),
    ]
