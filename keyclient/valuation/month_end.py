"""The month-end valuation batch: value and tier every client for a month end, write the scores and
assignments in bulk, and apply the tiers that change (set-based, through the client-master writer,
with their business events and field-change rows). Interactive valuation verbs are in
`keyclient.valuation.services`."""

from __future__ import annotations

import calendar
import json
import os
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.actors import Actor, Job, actor_columns
from keyclient.audit.models import BusinessEvent
from keyclient.audit.services import record_event
from keyclient.core.arrow import fetch_arrow
from keyclient.core.bulk import bulk_insert, insert_from_duckdb
from keyclient.customers import writer
from keyclient.customers.choices import CORPORATE_RULE_KINDS, CustomerKind
from keyclient.customers.models import Customer, CustomerTag, Tag
from keyclient.valuation import engine
from keyclient.valuation.choices import OverrideStatus
from keyclient.valuation.models import ProminenceFact, TierAssignment, TierOverride, ValueScore
from keyclient.valuation.policy import validate
from keyclient.valuation.services import published_policy

STATE = "valuation"


def state_root() -> Path:
    return Path(settings.KEYCLIENT_LAKE_DIR) / STATE


def _state_files(before: date, months: int) -> list[Path]:
    """State files of the `months` month ends before `before` (oldest first)."""
    root = state_root()
    if not root.exists():
        return []
    year, month = divmod(before.year * 12 + before.month - 1 - months, 12)
    first = date(year, month + 1, 1)
    found = []
    for folder in root.glob("month=*"):
        day = date.fromisoformat(folder.name[6:])
        if first <= day < before and (folder / "state.parquet").exists():
            found.append(folder / "state.parquet")
    return sorted(found)


def _crm_inputs(con: duckdb.DuckDBPyConnection, rules: dict[str, Any]) -> None:
    """The inputs kept in the CRM database: clients, tags that score, prominence facts, open overrides."""
    customers = Customer._meta.db_table
    con.register(
        "clients_arrow",
        fetch_arrow(
            # The kind of rules that value the client: institutions are valued like corporates.
            f"""SELECT customer_no, id, CASE WHEN kind IN (%s, %s) THEN %s ELSE kind END, risk_assessed_on, tier
            FROM {customers}""",  # noqa: S608 - the model's table name
            [*CORPORATE_RULE_KINDS, CustomerKind.CORPORATE.value],
            pa.schema([("customer_no", pa.string()), ("id", pa.int64()), ("kind", pa.string()),
                       ("risk_assessed_on", pa.date32()), ("current_tier", pa.string())]),
        ),
    )  # fmt: skip
    con.execute("CREATE OR REPLACE TEMP TABLE clients AS SELECT * FROM clients_arrow")
    names = sorted(
        set(rules["score"]["prominence"].get("tag_points", {})) | set(rules["score"]["risk"]["risk_tags"])
    )
    tags = list(
        CustomerTag.objects.filter(tag__name__in=names).values_list("customer__customer_no", "tag__name")
    ) if names and Tag.objects.filter(name__in=names).exists() else []  # fmt: skip
    facts = list(
        ProminenceFact.objects.filter(withdrawn_at__isnull=True).values_list("customer__customer_no", "kind")
    )
    overrides = list(
        TierOverride.objects.filter(status=OverrideStatus.APPROVED).values_list(
            "customer__customer_no", "kind", "tier"
        )
    )
    for name, rows, columns in (
        ("client_tags", tags, ("customer_no", "tag")),
        ("facts", facts, ("customer_no", "kind")),
        ("overrides", overrides, ("customer_no", "kind", "tier")),
    ):
        data: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _c in columns]
        con.register(
            f"{name}_arrow",
            pa.table({c: pa.array(v, pa.string()) for c, v in zip(columns, data, strict=True)}),
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")  # noqa: S608 - names from the tuple above


def _state_inputs(con: duckdb.DuckDBPyConnection, as_of: date) -> None:
    files = _state_files(as_of, 11)
    if not files:
        return
    paths = ", ".join(engine.lit(p) for p in files)
    # A view takes no parameters: the paths (of our own state files) are quoted literals.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW history AS SELECT customer_no, as_of, contribution_month FROM read_parquet([{paths}])"  # noqa: S608 - quoted paths of our state files
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW prev AS SELECT customer_no, tier, rule_tier, months_below "  # noqa: S608 - quoted path of our state file
        f"FROM read_parquet({engine.lit(files[-1])})"
    )


def _write_state(con: duckdb.DuckDBPyConnection, as_of: date) -> Path:
    """The month's state, written to a temporary file and renamed into place (a crash leaves the old one)."""
    folder = state_root() / f"month={as_of}"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"_tmp-{uuid.uuid4().hex}.parquet"
    columns = ", ".join(c if c != "as_of" else "$as_of AS as_of" for c in engine.STATE_COLUMNS)
    con.execute(
        f"COPY (SELECT {columns} FROM valued) TO $path (FORMAT parquet)",  # noqa: S608 - columns from engine.STATE_COLUMNS
        {"as_of": as_of, "path": str(tmp)},
    )
    target = folder / "state.parquet"
    os.replace(tmp, target)
    return target


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def run_month_end(
    as_of: date,
    *,
    con: duckdb.DuckDBPyConnection,
    actor: Actor | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, int]:
    """Value and tier every client for the month ending `as_of` and write the results.

    `con` holds the lake inputs the caller has (see `engine.INPUTS`: `month_end` at least; `loans`,
    `holdings`, `links` when landed); the CRM inputs and the earlier months' state are added here.
    Re-running a month replaces its rows; events are written only for tiers that actually change.
    `timings`, when given, receives the seconds spent in each phase (for bench/valuation.py)."""
    clock = _Phases(timings)
    if not is_month_end(as_of):
        raise ValidationError(_("%(day)s is not a month end") % {"day": as_of})
    actor = actor or Job("valuation")
    policy = published_policy()
    rules = validate(policy.rules)
    _crm_inputs(con, rules)
    _state_inputs(con, as_of)
    clock("read_crm_and_state")
    engine.compute(con, as_of, rules)
    clock("compute")
    _write_state(con, as_of)
    clock("write_state")
    counts: dict[str, int] = {}
    version = policy.version
    with transaction.atomic():
        ValueScore.objects.filter(as_of=as_of)._raw_delete(ValueScore.objects.db)
        TierAssignment.objects.filter(as_of=as_of)._raw_delete(TierAssignment.objects.db)
        score_columns = [
            "contribution_12m", "contribution_trend", "contribution_score", "worst_loan_class", "max_overdue_days",
            "concentration", "risk_flags", "kyc_stale", "risk_score", "prominence_points", "prominence_score",
            "link_count", "linked_aum", "linked_contribution", "relatedness_score", "value_score", "retention", "clv",
        ]  # fmt: skip
        money = {"contribution_12m", "linked_aum", "linked_contribution", "clv"}
        selects = ", ".join(
            f"round({c}, 2)::DECIMAL(18, 2)" if c in money
            else f"round({c}, 4)::DECIMAL(9, 4)" if c in {"contribution_trend", "concentration", "retention"}
            else c
            for c in score_columns
        )  # fmt: skip
        counts["value_scores"] = insert_from_duckdb(
            con,
            f"SELECT DATE '{as_of}', id, {version}, {selects} FROM valued ORDER BY id",  # noqa: S608 - a date, the version number, our columns
            ValueScore._meta.db_table,
            ["as_of", "customer_id", "policy_version", *score_columns],
        )
        counts["tier_assignments"] = insert_from_duckdb(
            con,
            f"""SELECT DATE '{as_of}', id, {version}, round(basis, 2)::DECIMAL(18, 2), qualified_tier,
                previous_tier, rule_tier, tier, state, months_below FROM valued ORDER BY id""",  # noqa: S608 - a date and the version number
            TierAssignment._meta.db_table,
            ["as_of", "customer_id", "policy_version", "basis", "qualified_tier", "previous_tier", "rule_tier",
             "tier", "state", "months_below"],
        )  # fmt: skip
        clock("write_scores_and_assignments")
        counts["tier_changes"] = _apply_tiers(con, as_of, actor)
        record_event(
            actor=actor, verb="valuation.run", after={"as_of": str(as_of), "policy": version, **counts}
        )
    clock("apply_tiers_and_commit")
    return counts


class _Phases:
    """Seconds per phase into `box` (nothing when `box` is None)."""

    def __init__(self, box: dict[str, float] | None) -> None:
        self.box, self.last = box, time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        if self.box is not None:
            self.box[phase] = round(now - self.last, 3)
        self.last = now


def _apply_tiers(con: duckdb.DuckDBPyConnection, as_of: date, actor: Actor) -> int:
    """Set `Customer.tier` where the month's tier differs, with one business event per change."""
    who = actor_columns(actor)
    now = timezone.now()
    changed = con.execute(
        """SELECT id, customer_no, current_tier, tier, state FROM valued
        WHERE current_tier IS DISTINCT FROM tier ORDER BY id"""
    ).fetchall()
    if not changed:
        return 0
    events = (
        (now, who["actor_id"], who["actor_name"], "tier.changed", pk, number,
         json.dumps({"tier": before or ""}), json.dumps({"tier": after, "state": state, "as_of": str(as_of)}),
         "month-end run")
        for pk, number, before, after, state in changed
    )  # fmt: skip
    bulk_insert(
        BusinessEvent._meta.db_table,
        ["at", "actor_id", "actor_name", "verb", "customer_id", "customer_no", "before", "after", "note"],
        events,
    )
    # Only the clients whose tier changes (a few percent of the book in a month) are updated, through
    # the client-master writer (one UPDATE … FROM, with the tier's field-change rows).
    writer.update_customers(
        actor=actor,
        columns=[("tier", "VARCHAR(30)")],
        rows=((pk, after) for pk, _number, _before, after, _state in changed),
    )
    return len(changed)
