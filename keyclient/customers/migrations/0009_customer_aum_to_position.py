"""The client master loses `aum` / `aum_as_of` (now in `CustomerPosition`) and the five indexes the
list sorted on: a month end no longer rewrites its rows. The indexes are dropped concurrently on
PostgreSQL (hence not atomic); dropping a column there changes only the catalog."""

from django.db import migrations

from keyclient.core.migration_ops import RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0008_client_position")]

    operations = [
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_unit_aum_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_rm_aum_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_status_aum_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_aum_idx",
        ),
        RemoveIndexConcurrently(
            model_name="customer",
            name="customer_tier_aum_idx",
        ),
        migrations.AlterModelOptions(
            name="customer",
            options={"ordering": ["id"], "verbose_name": "client", "verbose_name_plural": "clients"},
        ),
        migrations.RemoveField(
            model_name="customer",
            name="aum",
        ),
        migrations.RemoveField(
            model_name="customer",
            name="aum_as_of",
        ),
    ]
