"""The four blind-index columns get one plain index each, named in `Customer.Meta.indexes`.

Their fields had `db_index=True`, which on PostgreSQL also builds a `varchar_pattern_ops` index for
LIKE prefixes; a blind index is only ever matched whole, so those four indexes cost every write of
the client master (a month end rewrites all of its rows) and were never read. The database step
keeps the existing plain indexes (renamed on PostgreSQL, rebuilt elsewhere) and drops the four
pattern indexes; the model state moves the indexes from the fields to Meta."""

from django.db import migrations, models

BLIND_KEYS = ("id_number", "id_last4", "mobile", "mobile_last4")


def _names(schema_editor, table: str, key: str) -> tuple[str, str, str]:
    """(the field index Django named, its pattern twin on PostgreSQL, the Meta index name)."""
    column = f"{key}_bidx"
    field_index = schema_editor._create_index_name(table, [column], suffix="")
    like_index = schema_editor._create_index_name(table, [column], suffix="_like")
    return field_index, like_index, f"customer_{key}_bidx"


def to_meta_indexes(apps, schema_editor) -> None:
    table = apps.get_model("customers", "Customer")._meta.db_table
    quote, postgres = schema_editor.quote_name, schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        existing = schema_editor.connection.introspection.get_constraints(cursor, table)
    for key in BLIND_KEYS:
        field_index, like_index, meta_index = _names(schema_editor, table, key)
        if like_index in existing:
            schema_editor.execute(f"DROP INDEX {quote(like_index)}")
        if postgres and field_index in existing:
            schema_editor.execute(f"ALTER INDEX {quote(field_index)} RENAME TO {quote(meta_index)}")
            continue
        if field_index in existing:
            schema_editor.execute(f"DROP INDEX {quote(field_index)}")
        schema_editor.execute(f"CREATE INDEX {quote(meta_index)} ON {quote(table)} ({quote(key + '_bidx')})")


def to_field_indexes(apps, schema_editor) -> None:
    table = apps.get_model("customers", "Customer")._meta.db_table
    quote, postgres = schema_editor.quote_name, schema_editor.connection.vendor == "postgresql"
    for key in BLIND_KEYS:
        field_index, like_index, meta_index = _names(schema_editor, table, key)
        column = quote(f"{key}_bidx")
        if postgres:
            schema_editor.execute(f"ALTER INDEX {quote(meta_index)} RENAME TO {quote(field_index)}")
            schema_editor.execute(
                f"CREATE INDEX {quote(like_index)} ON {quote(table)} ({column} varchar_pattern_ops)"
            )
        else:
            schema_editor.execute(f"DROP INDEX {quote(meta_index)}")
            schema_editor.execute(f"CREATE INDEX {quote(field_index)} ON {quote(table)} ({column})")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_covering_list_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(to_meta_indexes, to_field_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="id_number_bidx",
                    field=models.CharField(editable=False, max_length=32, verbose_name="ID number index"),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="id_last4_bidx",
                    field=models.CharField(editable=False, max_length=32, verbose_name="ID last-four index"),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="mobile_bidx",
                    field=models.CharField(
                        blank=True, editable=False, max_length=32, verbose_name="mobile index"
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="mobile_last4_bidx",
                    field=models.CharField(
                        blank=True, editable=False, max_length=32, verbose_name="mobile last-four index"
                    ),
                ),
                *(
                    migrations.AddIndex(
                        model_name="customer",
                        index=models.Index(fields=[f"{key}_bidx"], name=f"customer_{key}_bidx"),
                    )
                    for key in BLIND_KEYS
                ),
            ],
        ),
    ]
