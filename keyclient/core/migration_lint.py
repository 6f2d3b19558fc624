"""A migration linter: no change that blocks a big table on PostgreSQL.

The client master, the accounts and holdings, the monthly snapshots and the pipeline's daily tables
hold millions of rows. On them a migration must not:

- build or drop an index inside a transaction (`AddIndex`, `RemoveIndex`, an indexed or unique new
  field, `unique_together`, a unique constraint): use `AddIndexConcurrently` /
  `RemoveIndexConcurrently` from `django.contrib.postgres.operations` in a migration with
  `atomic = False`;
- add a NOT NULL column without a default (fails on a filled table), or a column whose default is
  volatile (a callable in Python, or a database expression that rewrites every row);
- rewrite the table: an `AlterField` that changes the column's type (widening a varchar is allowed),
  or one that sets NOT NULL (a full scan under an exclusive lock).

Migrations already landed are grandfathered in a committed baseline file; only the others are linted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import models
from django.db.migrations import Migration, operations
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from django.db.models.expressions import Value

BIG_MODELS = frozenset(
    {
        "customers.customer",
        "customers.customerposition",
        "products.account",
        "products.holding",
        "products.balancesnapshot",
        "products.significanttransaction",
        "pipeline.clientdailyindicator",
        "pipeline.clientbankoutflow",
    }
)
BASELINE = Path(__file__).with_name("migration_baseline.txt")
CONCURRENT_OPERATIONS = frozenset({"AddIndexConcurrently", "RemoveIndexConcurrently"})


def read_baseline(path: Path = BASELINE) -> set[str]:
    """The grandfathered migrations, as `app_label.name`, one a line (`#` starts a comment)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line}


def landed_migrations(loader: MigrationLoader) -> list[str]:
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations)


def lint_project(*, loader: MigrationLoader, baseline: set[str]) -> list[str]:
    """Problems of every migration on disk that is not in `baseline`, in a stable order."""
    problems: list[str] = []
    for app, name in sorted(loader.disk_migrations):
        if f"{app}.{name}" in baseline:
            continue
        state = loader.project_state((app, name), at_end=False)
        problems += lint_migration(loader.disk_migrations[app, name], state)
    return problems


def lint_migration(migration: Migration, state: ProjectState) -> list[str]:
    """Problems of one migration, `state` being the project state just before it."""
    problems: list[str] = []
    label = f"{migration.app_label}.{migration.name}"
    state = state.clone()
    created: set[str] = set()  # a table created by this migration is empty: anything goes
    for op in migration.operations:
        if isinstance(op, operations.CreateModel):
            created.add(f"{migration.app_label}.{op.name}".lower())
        model = f"{migration.app_label}.{getattr(op, 'model_name', '') or ''}".lower()
        kind = type(op).__name__
        if model in BIG_MODELS and model not in created:
            for reason in _blocking(op, kind, migration, state, model):
                problems.append(f"{label}: {kind}({_subject(op)}) on {model}: {reason}")
        op.state_forwards(migration.app_label, state)
    return problems


def _subject(op: Any) -> str:
    """The index, constraint or field an operation is about, for the message."""
    for attr in ("index", "constraint"):
        if hasattr(op, attr):
            return str(getattr(op, attr).name)
    return str(getattr(op, "name", "") or getattr(op, "old_name", "") or "")


def _blocking(op: Any, kind: str, migration: Migration, state: ProjectState, model: str) -> list[str]:
    if kind in CONCURRENT_OPERATIONS:
        return [] if migration.atomic is False else ["a concurrent index change needs atomic = False"]
    if isinstance(op, operations.AddIndex | operations.RemoveIndex | operations.RenameIndex):
        return ["builds or drops an index under a lock; use AddIndexConcurrently / RemoveIndexConcurrently"]
    if isinstance(op, operations.AlterUniqueTogether | operations.AlterIndexTogether):
        return ["builds an index under a lock; add a named index concurrently instead"]
    if isinstance(op, operations.AddConstraint):
        return ["validates or indexes the whole table under a lock"]
    if isinstance(op, operations.AddField):
        return _added_field(op.field)
    if isinstance(op, operations.AlterField):
        app_label, model_name = model.split(".")
        old = state.models[app_label, model_name].fields[op.name]
        return _altered_field(old, op.field)
    return []


def _added_field(field: models.Field[Any, Any]) -> list[str]:
    reasons: list[str] = []
    has_default = field.default is not models.NOT_PROVIDED or field.db_default is not models.NOT_PROVIDED
    if not field.null and not has_default and not field.many_to_many:
        reasons.append("a NOT NULL column without a default")
    if field.default is not models.NOT_PROVIDED and callable(field.default):
        reasons.append("a volatile default (a callable); add the column nullable and backfill in batches")
    if field.db_default is not models.NOT_PROVIDED and not isinstance(field.db_default, Value):
        reasons.append("a volatile database default rewrites every row")
    if field.unique or (getattr(field, "db_index", False) and not field.many_to_many):
        reasons.append("builds an index under a lock; add the column unindexed, then index it concurrently")
    return reasons


def _altered_field(old: models.Field[Any, Any], new: models.Field[Any, Any]) -> list[str]:
    reasons: list[str] = []
    old_type, new_type = _column_type(old), _column_type(new)
    widened_varchar = old_type[0] == new_type[0] == "CharField" and (new.max_length or 0) >= (
        old.max_length or 0
    )
    if old_type != new_type and not widened_varchar:
        reasons.append(f"changes the column type ({old_type} to {new_type}): a table rewrite")
    if old.null and not new.null:
        reasons.append("SET NOT NULL scans the whole table under an exclusive lock")
    if (new.unique and not old.unique) or (
        getattr(new, "db_index", False) and not getattr(old, "db_index", False)
    ):
        reasons.append("builds an index under a lock; index it concurrently")
    return reasons


def _column_type(field: models.Field[Any, Any]) -> tuple[Any, ...]:
    return (
        field.get_internal_type(),
        getattr(field, "max_length", None),
        getattr(field, "max_digits", None),
        getattr(field, "decimal_places", None),
    )
