"""`Account.account_bidx` is unique through a named constraint instead of `unique=True`.

On PostgreSQL `unique=True` on a character column also builds a `varchar_pattern_ops` index for LIKE
prefixes, which an exact blind index never uses (2.8 M accounts at the benchmark bank). The database
step drops it and renames the existing unique constraint; SQLite keeps its column UNIQUE as it is
(it rebuilds the table from the model state whenever the table changes)."""

from django.db import migrations, models

COLUMN = "account_bidx"
CONSTRAINT = "account_bidx_unique"


def _existing(schema_editor, table: str) -> tuple[str, str]:
    """(the pattern index Django named, the unique constraint PostgreSQL named)."""
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, table)
    unique = next(
        name
        for name, info in found.items()
        if info["unique"] and not info["primary_key"] and info["columns"] == [COLUMN]
    )
    return schema_editor._create_index_name(table, [COLUMN], suffix="_like"), unique


def to_constraint(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("products", "Account")._meta.db_table
    quote = schema_editor.quote_name
    like_index, unique = _existing(schema_editor, table)
    schema_editor.execute(f"DROP INDEX IF EXISTS {quote(like_index)}")
    if unique != CONSTRAINT:
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(unique)} TO {quote(CONSTRAINT)}"
        )


def to_unique_field(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("products", "Account")._meta.db_table
    quote = schema_editor.quote_name
    like_index, _unique = _existing(schema_editor, table)
    schema_editor.execute(
        f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(CONSTRAINT)} TO {quote(table + '_' + COLUMN + '_key')}"
    )
    schema_editor.execute(
        f"CREATE INDEX {quote(like_index)} ON {quote(table)} ({quote(COLUMN)} varchar_pattern_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0003_holding_key_and_snapshot_client"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(to_constraint, to_unique_field)],
            state_operations=[
                migrations.AlterField(
                    model_name="account",
                    name="account_bidx",
                    field=models.CharField(
                        editable=False, max_length=32, verbose_name="account number index"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="account",
                    constraint=models.UniqueConstraint(fields=["account_bidx"], name=CONSTRAINT),
                ),
            ],
        ),
    ]
