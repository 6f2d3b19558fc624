"""Valuation verbs: the month-end run, the tier policy (draft → publish), manual tier decisions with a
second person's approval, and prominence facts. Every change has an actor and a business event."""

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
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.actors import Actor, Job, Staff, actor_columns
from keyclient.audit.models import BusinessEvent
from keyclient.audit.services import record_changes, record_event
from keyclient.core.arrow import fetch_arrow
from keyclient.core.bulk import bulk_insert, insert_from_duckdb
from keyclient.customers import writer
from keyclient.customers.choices import CORPORATE_RULE_KINDS, CustomerKind
from keyclient.customers.models import Customer, CustomerTag, Tag
from keyclient.security.roles import Action, may, may_approve, may_edit_tier_policy
from keyclient.valuation import engine
from keyclient.valuation.choices import OverrideKind, OverrideStatus, PolicyStatus
from keyclient.valuation.decisions import check_decision
from keyclient.valuation.models import ProminenceFact, TierAssignment, TierOverride, TierPolicy, ValueScore
from keyclient.valuation.policy import CORPORATE_LADDER, INDIVIDUAL_LADDER, default_rules, validate

STATE = "valuation"
MIN_REASON = 10  # characters: a reason a second person can judge


# --- the month-end run ---------------------------------------------------------------------------


def published_policy() -> TierPolicy:
    """The policy in force; the first use creates version 1 with the default rules."""
    policy = TierPolicy.objects.filter(status=PolicyStatus.PUBLISHED).first()
    if policy is None:
        with transaction.atomic():
            policy, _created = TierPolicy.objects.get_or_create(
                version=1,
                defaults={
                    "status": PolicyStatus.PUBLISHED,
                    "rules": default_rules(),
                    "published_at": timezone.now(),
                },
            )
    return policy


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


# --- tier policy ---------------------------------------------------------------------------------


def _require_policy_editor(actor: Staff) -> None:
    if not may_edit_tier_policy(actor):
        raise PermissionDenied(_("Only head office edits the tier policy."))


def start_draft(*, actor: Staff) -> TierPolicy:
    """The open draft, or a new one copied from the published rules."""
    _require_policy_editor(actor)
    with transaction.atomic():
        draft = TierPolicy.objects.select_for_update().filter(status=PolicyStatus.DRAFT).first()
        if draft is not None:
            return draft
        base = published_policy()
        last = TierPolicy.objects.order_by("-version").values_list("version", flat=True).first() or 0
        draft = TierPolicy.objects.create(
            version=last + 1, status=PolicyStatus.DRAFT, rules=base.rules, created_by=actor
        )
        record_event(
            actor=actor, verb="tier_policy.drafted", after={"version": draft.version, "from": base.version}
        )
    return draft


def save_draft(*, actor: Staff, policy: TierPolicy, rules: dict[str, Any], note: str = "") -> TierPolicy:
    """Replace a draft's rules (validated: every wrong value is named, nothing is saved)."""
    _require_policy_editor(actor)
    if policy.status != PolicyStatus.DRAFT:
        raise ValidationError(_("Version %(v)s is %(status)s: only a draft can be edited.")
                              % {"v": policy.version, "status": policy.get_status_display()})  # fmt: skip
    validate(rules)
    with transaction.atomic():
        before = policy.rules
        policy.rules, policy.note = rules, note
        policy.save(update_fields=["rules", "note"])
        record_event(actor=actor, verb="tier_policy.edited", before={"version": policy.version, "rules": before},
                     after={"version": policy.version, "rules": rules}, note=note[:500])  # fmt: skip
    return policy


def publish_policy(*, actor: Staff, policy: TierPolicy) -> TierPolicy:
    """Put a draft in force from the next month-end run; the version it replaces is retired."""
    _require_policy_editor(actor)
    validate(policy.rules)
    with transaction.atomic():
        policy = TierPolicy.objects.select_for_update().get(pk=policy.pk)
        if policy.status != PolicyStatus.DRAFT:
            raise ValidationError(_("Version %(v)s is not a draft.") % {"v": policy.version})
        old = published_policy()
        TierPolicy.objects.filter(pk=old.pk).update(status=PolicyStatus.RETIRED)
        policy.status, policy.published_by, policy.published_at = (
            PolicyStatus.PUBLISHED,
            actor,
            timezone.now(),
        )
        policy.save(update_fields=["status", "published_by", "published_at"])
        record_event(actor=actor, verb="tier_policy.published", before={"version": old.version},
                     after={"version": policy.version}, note=policy.note[:500])  # fmt: skip
    return policy


# --- manual tier decisions -----------------------------------------------------------------------


def base_tier(customer: Customer) -> str:
    return str(CORPORATE_LADDER[0] if customer.uses_corporate_rules else INDIVIDUAL_LADDER[0])


def _in_scope(actor: Staff, customer_id: int) -> bool:
    return Customer.objects.visible_to(actor).filter(pk=customer_id).exists()


def request_override(
    *, actor: Staff, customer: Customer, kind: str, tier: str = "", reason: str
) -> TierOverride:
    """Ask for a client's tier to be set by hand (`override`) or taken away (`disqualify`)."""
    if not may(actor, Action.CHANGE) or not _in_scope(actor, customer.pk):
        raise PermissionDenied(_("You may not change this client's tier."))
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if len(reason) < MIN_REASON:
        errors["reason"] = [_("Give a reason of at least %(n)s characters.") % {"n": MIN_REASON}]
    if kind not in OverrideKind.values:
        errors["kind"] = [_("Unknown kind %(kind)r.") % {"kind": kind}]
    elif kind == OverrideKind.OVERRIDE:
        ladder = CORPORATE_LADDER if customer.uses_corporate_rules else INDIVIDUAL_LADDER
        if not tier:
            errors["tier"] = [_("Choose the tier to set.")]
        elif tier not in {str(t) for t in ladder}:
            errors["tier"] = [_("%(tier)r is not a tier for this kind of client.") % {"tier": tier}]
        elif tier == customer.tier:
            errors["tier"] = [_("The client is already in this tier.")]
    else:
        tier = ""
        if customer.tier == base_tier(customer):
            errors["kind"] = [_("The client holds no tier to take away.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            override = TierOverride.objects.create(
                customer=customer, kind=kind, tier=tier, tier_before=customer.tier, reason=reason,
                requested_by=actor,
            )  # fmt: skip
            record_event(actor=actor, verb="tier_override.requested", customer=customer,
                         before={"tier": customer.tier}, after={"kind": kind, "tier": tier, "id": override.pk},
                         note=reason[:500])  # fmt: skip
    except IntegrityError:
        raise ValidationError(
            _("This client already has an open tier request: decide or end it first.")
        ) from None
    return override


def decide_override(*, actor: Staff, override: TierOverride, approve: bool, note: str = "") -> TierOverride:
    """Approve (the tier changes now) or reject a pending request; never one's own."""
    if not may_approve(actor) or not _in_scope(actor, override.customer_id):
        raise PermissionDenied(_("You may not decide tier requests for this client."))
    note = (note or "").strip()
    with transaction.atomic():
        override = TierOverride.objects.select_for_update().select_related("customer").get(pk=override.pk)
        override.status = check_decision(
            actor=actor, requested_by_id=override.requested_by_id, status=override.status, approve=approve,
            note=note,
        )  # fmt: skip
        override.decided_by, override.decided_at, override.decision_note = actor, timezone.now(), note[:500]
        override.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        customer = override.customer
        record_event(actor=actor, verb=f"tier_override.{'approved' if approve else 'rejected'}", customer=customer,
                     before={"tier": customer.tier, "status": OverrideStatus.PENDING},
                     after={"id": override.pk, "kind": override.kind, "tier": override.tier,
                            "status": override.status}, note=note[:500])  # fmt: skip
        if approve:
            _set_tier(actor, customer, override.tier or base_tier(customer), f"tier_override:{override.pk}")
    return override


def end_override(*, actor: Staff, override: TierOverride, reason: str) -> TierOverride:
    """Withdraw a pending request or end an approved one: the client goes back to the tier the rules give."""
    if not may(actor, Action.CHANGE) or not _in_scope(actor, override.customer_id):
        raise PermissionDenied(_("You may not change this client's tier."))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            {"reason": [_("Give a reason of at least %(n)s characters.") % {"n": MIN_REASON}]}
        )
    with transaction.atomic():
        override = TierOverride.objects.select_for_update().select_related("customer").get(pk=override.pk)
        if override.status not in (OverrideStatus.PENDING, OverrideStatus.APPROVED):
            raise ValidationError(
                _("This request is already %(status)s.") % {"status": override.get_status_display()}
            )
        was_approved = override.status == OverrideStatus.APPROVED
        override.status, override.ended_at = OverrideStatus.ENDED, timezone.now()
        override.save(update_fields=["status", "ended_at"])
        customer = override.customer
        record_event(actor=actor, verb="tier_override.ended", customer=customer,
                     after={"id": override.pk, "was_approved": was_approved}, note=reason[:500])  # fmt: skip
        if was_approved:
            latest = TierAssignment.objects.filter(customer=customer).order_by("-as_of").first()
            _set_tier(
                actor,
                customer,
                latest.rule_tier if latest else override.tier_before,
                f"tier_override:{override.pk}",
            )
    return override


def _set_tier(actor: Staff, customer: Customer, tier: str, note: str) -> None:
    if customer.tier == tier:
        return
    before = customer.tier
    Customer.objects.filter(pk=customer.pk).update(tier=tier)
    customer.tier = tier
    record_changes(actor=actor, instance=customer, customer_id=customer.pk, changes={"tier": (before, tier)})
    record_event(actor=actor, verb="tier.changed", customer=customer, before={"tier": before},
                 after={"tier": tier}, note=note)  # fmt: skip


# --- prominence ----------------------------------------------------------------------------------


def record_prominence(*, actor: Staff, customer: Customer, kind: str, evidence: str) -> ProminenceFact:
    """Note a fact about the client's public standing, with its evidence (it scores at the next run)."""
    if not may(actor, Action.CHANGE) or not _in_scope(actor, customer.pk):
        raise PermissionDenied(_("You may not change this client."))
    evidence = (evidence or "").strip()
    errors: dict[str, list[str]] = {}
    if len(evidence) < MIN_REASON:
        errors["evidence"] = [
            _("Say where this is known from (at least %(n)s characters).") % {"n": MIN_REASON}
        ]
    from keyclient.valuation.choices import ProminenceKind

    if kind not in ProminenceKind.values:
        errors["kind"] = [_("Unknown kind %(kind)r.") % {"kind": kind}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fact = ProminenceFact.objects.create(
            customer=customer, kind=kind, evidence=evidence[:500], recorded_by=actor
        )
        record_event(actor=actor, verb="prominence.recorded", customer=customer,
                     after={"id": fact.pk, "kind": kind, "evidence": fact.evidence})  # fmt: skip
    return fact


def withdraw_prominence(*, actor: Staff, fact: ProminenceFact) -> ProminenceFact:
    if not may(actor, Action.CHANGE) or not _in_scope(actor, fact.customer_id):
        raise PermissionDenied(_("You may not change this client."))
    with transaction.atomic():
        if fact.withdrawn_at is None:
            fact.withdrawn_at = timezone.now()
            fact.save(update_fields=["withdrawn_at"])
            record_event(actor=actor, verb="prominence.withdrawn", customer=fact.customer,
                         before={"id": fact.pk, "kind": fact.kind})  # fmt: skip
    return fact
