"""Assignment verbs (管户分配): assign, reassign, release, change the credit split, decide a request,
and assign many clients at once from the client list.

Each verb takes the acting member of staff first, checks the client through the data-scope door, a
reason and the split, then either applies the change or, where the client's service level asks it
(`rules.APPROVAL_RULES`), files a request that a second person decides (`decide`). Applying writes the
coverage rows, one history row per RM whose coverage changed, a business event, and mirrors the primary
RM onto `Customer.primary_rm` through `customers.writer` (with its field-change row), all in one
transaction. A refusal writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.services import record_event
from keyclient.core.bulk import q
from keyclient.coverage.choices import ChangeKind, CoverageRole
from keyclient.coverage.models import AssignmentRequest, Coverage, CoverageChange
from keyclient.coverage.rules import HUNDRED, check_reason, may_assign_to, needs_approval, parse_split
from keyclient.customers import writer
from keyclient.customers.models import Customer
from keyclient.security.roles import Action, may, may_approve
from keyclient.valuation.choices import OverrideStatus
from keyclient.valuation.decisions import check_decision
from keyclient.valuation.entitlement import service_level_for, service_levels_for

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff
    from keyclient.org.models import User

Split = dict[int, Decimal]


def _sql(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return sql, tuple(params)


def backfill(customers: QuerySet[Customer]) -> int:
    """Coverage rows for clients whose primary RM was set outside these verbs (the intake, the demo):
    the primary with 100%. One statement; the state it records already existed, so no history."""
    sql, params = _sql(customers)
    cov, cus = q(Coverage._meta.db_table), q(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {cov} (customer_id, rm_id, role, share, since)
            SELECT c.id, c.primary_rm_id, 'primary', 100, %s FROM {cus} c
            WHERE c.primary_rm_id IS NOT NULL AND c.id IN ({sql})
            AND NOT EXISTS (SELECT 1 FROM {cov} v WHERE v.customer_id = c.id)""",  # noqa: S608 - model tables, quoted; values bound
            [timezone.localdate(), *params],
        )
        return int(cursor.rowcount)


def current_split(customer: Customer) -> tuple[int | None, Split]:
    """The client's primary RM id and credit split (after `backfill`)."""
    rows = Coverage.objects.filter(customer_id=customer.pk).values_list("rm_id", "role", "share")
    primary = next((rm for rm, role, _share in rows if role == CoverageRole.PRIMARY), None)
    return primary, {rm: share for rm, _role, share in rows}


def _check_actor(actor: Staff, customer: Customer) -> None:
    if (
        not may(actor, Action.CHANGE)
        or not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists()
    ):
        raise PermissionDenied(_("You may not change who covers this client."))


def _check_rms(actor: Staff, split: Split) -> None:
    from keyclient.org.models import User

    users = {u.pk: u for u in User.objects.filter(pk__in=split).select_related("org_unit")}
    refused = [str(users[i].display_name or users[i].username) if i in users else str(i)
               for i in split if i not in users or not may_assign_to(actor, users[i])]  # fmt: skip
    if refused:
        raise ValidationError(
            {"split": [_("You may not assign clients to: %(rms)s.") % {"rms": ", ".join(refused)}]}
        )


@dataclass(frozen=True)
class Outcome:
    """What a verb did: applied now, or filed `request` for a second person's approval."""

    applied: bool
    request: AssignmentRequest | None = None


def assign(
    *, actor: Staff, customer: Customer, rm: User, reason: str, split: dict[Any, Any] | None = None,
    effective_on: date | None = None,
) -> Outcome:  # fmt: skip
    """Give a client without a primary RM one (and secondaries if `split` names them)."""
    return _change(actor, ChangeKind.ASSIGN, customer, rm.pk, split, reason, effective_on)


def reassign(
    *, actor: Staff, customer: Customer, rm: User, reason: str, split: dict[Any, Any] | None = None,
    effective_on: date | None = None,
) -> Outcome:  # fmt: skip
    """Change a client's primary RM; without `split` the new primary takes the old one's share."""
    return _change(actor, ChangeKind.REASSIGN, customer, rm.pk, split, reason, effective_on)


def set_split(
    *, actor: Staff, customer: Customer, split: dict[Any, Any], reason: str, effective_on: date | None = None
) -> Outcome:
    """Change the secondaries and the credit split, keeping the primary RM."""
    return _change(actor, ChangeKind.SPLIT, customer, None, split, reason, effective_on)


def release(*, actor: Staff, customer: Customer, reason: str, effective_on: date | None = None) -> Outcome:
    """Take every RM off a client (it becomes uncovered)."""
    return _change(actor, ChangeKind.RELEASE, customer, None, {}, reason, effective_on)


def _target(kind: str, customer: Customer, primary_id: int | None, raw: dict[Any, Any] | None) -> tuple[int | None, Split]:  # fmt: skip
    """The primary and split the change leads to, validated against the client's current coverage."""
    old_primary, old = current_split(customer)
    if kind == ChangeKind.ASSIGN and old_primary is not None:
        raise ValidationError(_("The client already has a primary RM: reassign instead."))
    if kind in (ChangeKind.REASSIGN, ChangeKind.RELEASE, ChangeKind.SPLIT) and old_primary is None:
        raise ValidationError(_("The client has no primary RM: assign one first."))
    if kind == ChangeKind.RELEASE:
        return None, {}
    if kind == ChangeKind.SPLIT:
        primary_id = old_primary
    assert primary_id is not None
    if kind == ChangeKind.REASSIGN and primary_id == old_primary and raw is None:
        raise ValidationError(_("This RM is already the client's primary RM."))
    if raw is None:
        if kind == ChangeKind.ASSIGN:
            raw = {primary_id: HUNDRED}
        else:  # the new primary takes the old primary's share (and its own, if it was a secondary)
            assert old_primary is not None
            raw = {k: v for k, v in old.items() if k not in (old_primary, primary_id)}
            raw[primary_id] = old[old_primary] + old.get(primary_id, Decimal(0))
    return primary_id, parse_split(primary_id, raw)


def _change(
    actor: Staff, kind: str, customer: Customer, primary_id: int | None, raw: dict[Any, Any] | None,
    reason: str, effective_on: date | None,
) -> Outcome:  # fmt: skip
    _check_actor(actor, customer)
    reason = check_reason(reason)
    with transaction.atomic():
        backfill(Customer.objects.filter(pk=customer.pk))
        primary, split = _target(kind, customer, primary_id, raw)
        _check_rms(actor, split)
        if needs_approval(kind, service_level_for(customer).level):
            return Outcome(applied=False, request=_file(actor, kind, customer, primary, split, reason))
        _apply(actor, kind, customer, primary, split, reason, effective_on or timezone.localdate(), None)
    return Outcome(applied=True)


def _file(actor: Staff, kind: str, customer: Customer, primary: int | None, split: Split, reason: str) -> AssignmentRequest:  # fmt: skip
    before, _split = current_split(customer)
    try:
        with transaction.atomic():
            request = AssignmentRequest.objects.create(
                customer=customer, kind=kind, primary_id=primary, primary_before_id=before,
                split={str(k): str(v) for k, v in split.items()}, reason=reason, requested_by=actor,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(
            _("This client already has an open RM change request: decide it first.")
        ) from None
    record_event(actor=actor, verb="coverage.requested", customer=customer,
                 before={"primary": before}, after={"id": request.pk, "kind": kind, "primary": primary,
                                                     "split": request.split}, note=reason)  # fmt: skip
    return request


def _apply(
    actor: Staff, kind: str, customer: Customer, primary: int | None, split: Split, reason: str,
    effective_on: date, requester: Staff | None,
) -> None:  # fmt: skip
    """Write the change; `requester` is who asked when `actor` applies it by approving."""
    old_primary, old = current_split(customer)
    now = timezone.now()
    rows: list[CoverageChange] = []

    def row(role: str, frm: int | None, to: int | None) -> None:
        rows.append(CoverageChange(
            customer_id=customer.pk, kind=kind, role=role, from_rm_id=frm, to_rm_id=to,
            share_from=old.get(frm) if frm else None, share_to=split.get(to) if to else None,
            effective_on=effective_on, reason=reason, changed_by=requester or actor,
            approved_by=actor if requester else None, changed_at=now,
        ))  # fmt: skip

    if old_primary != primary or (primary is not None and old.get(primary) != split.get(primary)):
        row(CoverageRole.PRIMARY, old_primary, primary)
    old_sec = {k for k in old if k != old_primary}
    new_sec = {k for k in split if k != primary}
    for rm in sorted(old_sec | new_sec):
        frm, to = (rm if rm in old_sec else None), (rm if rm in new_sec else None)
        if frm != to or old.get(rm) != split.get(rm):
            row(CoverageRole.SECONDARY, frm, to)
    Coverage.objects.filter(customer_id=customer.pk).delete()
    Coverage.objects.bulk_create(
        Coverage(customer_id=customer.pk, rm_id=rm, share=share, since=effective_on,
                 role=CoverageRole.PRIMARY if rm == primary else CoverageRole.SECONDARY)
        for rm, share in split.items()
    )  # fmt: skip
    CoverageChange.objects.bulk_create(rows)
    if old_primary != primary:
        writer.update_customers(
            actor=actor, columns=[("primary_rm_id", "BIGINT")], rows=[(customer.pk, primary)]
        )
        customer.primary_rm_id = primary
    record_event(actor=actor, verb=f"coverage.{_VERB[kind]}", customer=customer,
                 before={"primary": old_primary, "split": {str(k): str(v) for k, v in old.items()}},
                 after={"primary": primary, "split": {str(k): str(v) for k, v in split.items()},
                        "effective_on": effective_on.isoformat()}, note=reason)  # fmt: skip


_VERB: dict[str, str] = {
    ChangeKind.ASSIGN: "assigned",
    ChangeKind.REASSIGN: "reassigned",
    ChangeKind.RELEASE: "released",
    ChangeKind.SPLIT: "split",
}


def decide(*, actor: Staff, request: AssignmentRequest, approve: bool, note: str = "") -> AssignmentRequest:
    """Approve (the change applies now) or reject a pending RM change; never one's own request."""
    if (
        not may_approve(actor)
        or not Customer.objects.visible_to(actor).filter(pk=request.customer_id).exists()
    ):
        raise PermissionDenied(_("You may not decide RM changes for this client."))
    note = (note or "").strip()
    with transaction.atomic():
        request = (
            AssignmentRequest.objects.select_for_update()
            .select_related("customer", "requested_by")
            .get(pk=request.pk)
        )
        status = check_decision(actor=actor, requested_by_id=request.requested_by_id, status=request.status,
                                approve=approve, note=note)  # fmt: skip
        customer = request.customer
        if approve:
            before, _split = current_split(customer)
            if before != request.primary_before_id:
                raise ValidationError(
                    _("The client's RM changed since the request: reject it and ask again.")
                )
            split = {int(k): Decimal(v) for k, v in request.split.items()}
            _apply(actor, request.kind, customer, request.primary_id, split, request.reason,
                   timezone.localdate(), request.requested_by)  # fmt: skip
        request.status, request.decided_by, request.decided_at = status, actor, timezone.now()
        request.decision_note = note[:500]
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record_event(actor=actor, verb=f"coverage.{'approved' if approve else 'rejected'}", customer=customer,
                     before={"status": OverrideStatus.PENDING}, after={"id": request.pk, "status": status},
                     note=note)  # fmt: skip
    return request


# --- many clients at once (the client list's bulk action) ----------------------------------------


@dataclass(frozen=True)
class BulkOutcome:
    applied: int  # clients whose primary RM is now `rm`
    requested: int  # clients whose change waits for approval
    unchanged: int  # clients `rm` already covered as primary


def bulk_assign(
    *, actor: Staff, ids: list[int], rm: User, reason: str, effective_on: date | None = None
) -> BulkOutcome:
    """Make `rm` the primary RM of the clients `ids`, set-based: a constant number of statements
    whatever the number of clients. The new primary takes the old primary's share (and their own, if
    they were a secondary); secondaries stay. Where the service level holds a reassignment for
    approval, a request is filed instead. All or nothing: a client outside the actor's scope, with an
    open request, or an RM the actor may not assign to refuses the whole batch."""
    from keyclient.audit.models import BusinessEvent

    if not may(actor, Action.CHANGE):
        raise PermissionDenied(_("You may not change who covers clients."))
    reason = check_reason(reason)
    wanted = set(ids)
    if not wanted:
        raise ValidationError({"ids": [_("Choose at least one client.")]})
    if not may_assign_to(actor, rm):
        raise ValidationError({"rm": [_("You may not assign clients to %(rm)s.") % {"rm": rm.display_name}]})
    day, now = effective_on or timezone.localdate(), timezone.now()
    with transaction.atomic():
        chosen = Customer.objects.visible_to(actor).filter(pk__in=wanted)
        found = {
            pk: (no, rm_id) for pk, no, rm_id in chosen.values_list("pk", "customer_no", "primary_rm_id")
        }
        if len(found) != len(wanted):
            raise PermissionDenied(
                _("%(n)s of the chosen clients are not in your scope: nothing was assigned.")
                % {"n": len(wanted - set(found))}
            )
        busy = list(
            AssignmentRequest.objects.filter(customer__in=chosen, status=OverrideStatus.PENDING)
            .order_by("customer__customer_no")
            .values_list("customer__customer_no", flat=True)
        )
        if busy:
            raise ValidationError(
                {
                    "ids": [
                        _("Open RM change requests wait for a decision on: %(nos)s.")
                        % {"nos": ", ".join(busy)}
                    ]
                }
            )
        backfill(chosen)
        levels = service_levels_for(chosen)
        moving = {pk for pk, (_no, was) in found.items() if was != rm.pk}
        held = {
            pk
            for pk in moving
            if found[pk][1] is not None and needs_approval(ChangeKind.REASSIGN, levels[pk].level)
        }
        direct = sorted(moving - held)
        events: list[BusinessEvent] = []
        if held:
            events += _file_many(actor, rm, held, found, reason, now)
        if direct:
            _apply_many(actor, rm, direct, reason, day, now)
            events += [
                _event(actor, now, f"coverage.{'reassigned' if found[pk][1] else 'assigned'}", pk, found[pk][0],
                       {"primary": found[pk][1]}, {"primary": rm.pk, "effective_on": day.isoformat()}, reason)
                for pk in direct
            ]  # fmt: skip
        BusinessEvent.objects.bulk_create(events)
    return BulkOutcome(applied=len(direct), requested=len(held), unchanged=len(wanted) - len(moving))


def _event(actor: Staff, at: Any, verb: str, pk: int, no: str, before: dict, after: dict, note: str) -> Any:  # type: ignore[type-arg]
    from keyclient.audit.actors import actor_columns
    from keyclient.audit.models import BusinessEvent

    return BusinessEvent(at=at, **actor_columns(actor), verb=verb, customer_id=pk, customer_no=no,
                         before=before, after=after, note=note[:500])  # fmt: skip


def _file_many(actor: Staff, rm: User, held: set[int], found: dict[int, tuple[str, int | None]], reason: str, now: Any) -> list[Any]:  # fmt: skip
    """Requests for the held clients: one query for their splits, one insert."""
    splits: dict[int, dict[int, Decimal]] = {}
    for cid, rm_id, share in Coverage.objects.filter(customer_id__in=held).values_list(
        "customer_id", "rm_id", "share"
    ):
        splits.setdefault(cid, {})[rm_id] = share
    requests = []
    for pk in sorted(held):
        old, before = splits[pk], found[pk][1]
        new = {k: v for k, v in old.items() if k not in (before, rm.pk)}
        new[rm.pk] = old[before] + old.get(rm.pk, Decimal(0))  # type: ignore[index]
        requests.append(AssignmentRequest(
            customer_id=pk, kind=ChangeKind.REASSIGN, primary_id=rm.pk, primary_before_id=before,
            split={str(k): str(v) for k, v in new.items()}, reason=reason, requested_by=actor,
        ))  # fmt: skip
    AssignmentRequest.objects.bulk_create(requests)
    return [_event(actor, now, "coverage.requested", pk, found[pk][0], {"primary": found[pk][1]},
                   {"kind": ChangeKind.REASSIGN, "primary": rm.pk}, reason) for pk in sorted(held)]  # fmt: skip


def _apply_many(actor: Staff, rm: User, direct: list[int], reason: str, day: date, now: Any) -> None:
    """History, coverage and the mirrored primary RM of `direct`, one statement each (the writer's
    staged update for the client master)."""
    cov, cus, hist = (q(m._meta.db_table) for m in (Coverage, Customer, CoverageChange))
    sql, params = _sql(Customer.objects.filter(pk__in=direct))
    others = f"""coalesce((SELECT sum(o.share) FROM {cov} o WHERE o.customer_id = c.id AND o.role = 'secondary'
        AND o.rm_id <> %s), 0)"""  # noqa: S608 - model tables, quoted
    head = "customer_id, kind, role, from_rm_id, to_rm_id, share_from, share_to, effective_on, reason, changed_by_id, approved_by_id, changed_at"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {hist} ({head})
            SELECT c.id, CASE WHEN c.primary_rm_id IS NULL THEN 'assign' ELSE 'reassign' END, 'primary',
                c.primary_rm_id, %s, p.share, 100 - {others}, %s, %s, %s, CAST(NULL AS BIGINT), %s
            FROM {cus} c LEFT JOIN {cov} p ON p.customer_id = c.id AND p.role = 'primary' WHERE c.id IN ({sql})
            UNION ALL
            SELECT c.id, 'reassign', 'secondary', s.rm_id, CAST(NULL AS BIGINT), s.share, CAST(NULL AS DECIMAL(5, 2)),
                %s, %s, %s, CAST(NULL AS BIGINT), %s
            FROM {cus} c JOIN {cov} s ON s.customer_id = c.id AND s.role = 'secondary' AND s.rm_id = %s
            WHERE c.id IN ({sql})""",  # noqa: S608 - model tables, quoted; values bound
            [rm.pk, rm.pk, day, reason, actor.pk, now, *params, day, reason, actor.pk, now, rm.pk, *params],
        )
        cursor.execute(
            f"DELETE FROM {cov} WHERE customer_id IN ({sql}) AND (role = 'primary' OR rm_id = %s)",  # noqa: S608 - model table, quoted
            [*params, rm.pk],
        )
        cursor.execute(
            f"""INSERT INTO {cov} (customer_id, rm_id, role, share, since)
            SELECT c.id, %s, 'primary', 100 - {others}, %s FROM {cus} c WHERE c.id IN ({sql})""",  # noqa: S608 - model tables, quoted; values bound
            [rm.pk, rm.pk, day, *params],
        )
    writer.update_customers(
        actor=actor, columns=[("primary_rm_id", "BIGINT")], rows=((pk, rm.pk) for pk in direct)
    )
