"""Every client with a primary RM gets its coverage row (the primary, 100%): one statement."""

from django.db import migrations


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Coverage = apps.get_model("coverage", "Coverage")
    Customer = apps.get_model("customers", "Customer")
    quote = schema_editor.connection.ops.quote_name
    cov, cus = quote(Coverage._meta.db_table), quote(Customer._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {cov} (customer_id, rm_id, role, share, since)
            SELECT c.id, c.primary_rm_id, 'primary', 100, CURRENT_DATE FROM {cus} c
            WHERE c.primary_rm_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM {cov} v WHERE v.customer_id = c.id)"""  # noqa: S608 - model tables, quoted
        )


class Migration(migrations.Migration):
    dependencies = [("coverage", "0001_assignment"), ("customers", "0001_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
