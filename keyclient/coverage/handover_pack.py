"""The handover pack's sections: what the new RM needs to know of each client, as it stood before the
move. `settings.KEYCLIENT_HANDOVER_SECTIONS` lists them in order (the declared hook: a later issue adds
its section — interactions and last contacts, commitments, open alerts — by appending a function).

A section is `section(customer_ids, from_rm_id) -> {customer_id: JSON-able value}`, a constant number
of queries for the whole book; a client it has nothing for is left out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.module_loading import import_string

from keyclient.audit.models import FieldChange
from keyclient.coverage.models import AssignmentRequest, Coverage
from keyclient.customers.models import ServiceTeamMember
from keyclient.engagement.choices import TaskStatus
from keyclient.engagement.models import Task
from keyclient.valuation.choices import OverrideStatus
from keyclient.valuation.models import TierOverride

Section = Callable[[list[int], int], dict[int, Any]]
RECENT_DAYS = 90


def _grouped(rows: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for customer_id, *values in rows:
        out.setdefault(customer_id, []).append(values if len(values) > 1 else values[0])
    return out


def coverage(ids: list[int], from_rm_id: int) -> dict[int, Any]:
    """The RMs and the credit split."""
    rows = Coverage.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "rm__username", "role", "share"
    )
    return {c: [{"rm": u, "role": r, "share": str(s)} for u, r, s in v] for c, v in _grouped(rows).items()}


def service_team(ids: list[int], from_rm_id: int) -> dict[int, Any]:
    rows = ServiceTeamMember.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "member__username", "team_role"
    )
    return {c: [{"member": m, "role": r} for m, r in v] for c, v in _grouped(rows).items()}


def open_approvals(ids: list[int], from_rm_id: int) -> dict[int, Any]:
    """Requests waiting for a decision: RM changes and tier decisions."""
    out: dict[int, list[dict[str, Any]]] = {}
    for c, pk, kind in AssignmentRequest.objects.filter(
        customer_id__in=ids, status=OverrideStatus.PENDING
    ).values_list("customer_id", "pk", "kind"):
        out.setdefault(c, []).append({"type": "rm_change", "id": pk, "kind": kind})
    for c, pk, kind in TierOverride.objects.filter(
        customer_id__in=ids, status=OverrideStatus.PENDING
    ).values_list("customer_id", "pk", "kind"):
        out.setdefault(c, []).append({"type": "tier_decision", "id": pk, "kind": kind})
    return out


def open_tasks(ids: list[int], from_rm_id: int) -> dict[int, Any]:
    rows = Task.objects.filter(customer_id__in=ids, status=TaskStatus.OPEN).values_list(
        "customer_id", "pk", "title", "due_on", "owner__username"
    )
    return {c: [{"id": p, "title": t, "due_on": d.isoformat(), "owner": o} for p, t, d, o in v]
            for c, v in _grouped(rows).items()}  # fmt: skip


def recent_changes(ids: list[int], from_rm_id: int) -> dict[int, Any]:
    """How many recorded field changes in the last 90 days, and the latest."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    rows = (
        FieldChange.objects.filter(customer_id__in=ids, at__gte=since)
        .values("customer_id")
        .annotate(n=Count("id"), last=Max("at"))
        .values_list("customer_id", "n", "last")
    )
    return {c: {"count": n, "last": last.isoformat()} for c, n, last in rows if c is not None}


def build_packs(ids: list[int], from_rm_id: int) -> dict[int, dict[str, Any]]:
    packs: dict[int, dict[str, Any]] = {i: {} for i in ids}
    for dotted in settings.KEYCLIENT_HANDOVER_SECTIONS:
        section: Section = import_string(dotted)
        for customer_id, value in section(ids, from_rm_id).items():
            packs[customer_id][dotted.rsplit(".", 1)[-1]] = value
    return packs
