"""The migration linter fails a change that would block a big table on PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.models.functions import Now

from keyclient.core.migration_lint import lint_migration


def planted(*ops: object, app: str = "customers", atomic: bool = True) -> migrations.Migration:
    migration = migrations.Migration("0999_planted", app)
    migration.operations = list(ops)
    migration.atomic = atomic
    return migration


def lint(*ops: object, app: str = "customers", atomic: bool = True) -> list[str]:
    state = MigrationLoader(None, ignore_no_migrations=True).project_state()
    return lint_migration(planted(*ops, app=app, atomic=atomic), state)


def test_a_plain_add_index_on_the_client_table_fails():
    index = models.Index(fields=["birth_date"], name="customer_birth_idx")
    assert lint(migrations.AddIndex(model_name="customer", index=index)) == [
        "customers.0999_planted: AddIndex(customer_birth_idx) on customers.customer: builds or drops an "
        "index under a lock; use AddIndexConcurrently / RemoveIndexConcurrently"
    ]


def test_a_concurrent_index_in_a_non_atomic_migration_passes():
    index = models.Index(fields=["birth_date"], name="customer_birth_idx")
    ops = (
        AddIndexConcurrently(model_name="customer", index=index),
        RemoveIndexConcurrently(model_name="customer", name="customer_birth_idx"),
    )
    assert lint(*ops, atomic=False) == []
    assert lint(*ops, atomic=True) == [
        "customers.0999_planted: AddIndexConcurrently(customer_birth_idx) on customers.customer: "
        "a concurrent index change needs atomic = False",
        "customers.0999_planted: RemoveIndexConcurrently(customer_birth_idx) on customers.customer: "
        "a concurrent index change needs atomic = False",
    ]


def test_blocking_column_adds_fail_and_a_nullable_one_passes():
    assert lint(
        migrations.AddField("holding", "batch", models.CharField(max_length=10)),
        migrations.AddField("holding", "ref", models.UUIDField(default=uuid.uuid4)),
        migrations.AddField("holding", "seen_at", models.DateTimeField(db_default=Now())),
        app="products",
    ) == [
        "products.0999_planted: AddField(batch) on products.holding: a NOT NULL column without a default",
        "products.0999_planted: AddField(ref) on products.holding: a volatile default (a callable); "
        "add the column nullable and backfill in batches",
        "products.0999_planted: AddField(seen_at) on products.holding: a volatile database default "
        "rewrites every row",
    ]
    assert (
        lint(
            migrations.AddField("holding", "note", models.CharField(max_length=10, null=True)),
            migrations.AddField("holding", "flag", models.BooleanField(default=False)),
            app="products",
        )
        == []
    )


def test_a_type_change_on_the_client_table_fails_and_a_widened_varchar_passes():
    assert lint(migrations.AlterField("customer", "industry", models.TextField(blank=True))) == [
        "customers.0999_planted: AlterField(industry) on customers.customer: changes the column type "
        "(('CharField', 60, None, None) to ('TextField', None, None, None)): a table rewrite"
    ]
    assert (
        lint(migrations.AlterField("customer", "industry", models.CharField(max_length=90, blank=True))) == []
    )


def test_small_tables_and_tables_created_in_the_migration_are_not_linted():
    index = models.Index(fields=["label"], name="contact_label_idx")
    assert lint(migrations.AddIndex(model_name="contactpoint", index=index)) == []
    created = migrations.CreateModel("Customer", [("id", models.BigAutoField(primary_key=True))])
    fresh = models.Index(fields=["id"], name="fresh_idx")
    migration = planted(created, migrations.AddIndex(model_name="customer", index=fresh), app="archive")
    assert lint_migration(migration, MigrationLoader(None, ignore_no_migrations=True).project_state()) == []


def test_the_command_passes_on_the_baseline_and_names_ungrandfathered_offenders(tmp_path: Path, capsys):
    call_command("lintmigrations")
    assert capsys.readouterr().out == "migrations: no blocking change\n"
    baseline = tmp_path / "baseline.txt"
    baseline.write_text("# nothing grandfathered\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"^9 blocking migration operation\(s\)"):
        call_command("lintmigrations", baseline=baseline)
    err = capsys.readouterr().err
    assert (
        "products.0003_holding_key_and_snapshot_client: AddConstraint(holding_unique_per_month) on "
        "products.holding: validates or indexes the whole table under a lock"
    ) in err.splitlines()
