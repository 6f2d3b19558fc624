"""Handover (交接): when an RM leaves or changes role, their whole book moves to another RM at once.

`hand_over` moves, set-based and in one transaction: the clients the RM covers as primary (with the
history and the mirrored `Customer.primary_rm`, as `services.bulk_assign`) or as secondary (their share
goes to the new RM), their service-team seats, their open tasks; it closes RM change requests that
named the leaving RM as the new primary, writes a pack per client (`handover_pack`, as things stood
before) and an introduction task for the new RM, and a report. `orphans(rm)` counts what still points
at the RM; the handover is complete when every count is 0. Handing over is a team lead's, branch
head's or head office's decision within their reach, or an administrator's when an account closes;
it applies without a further approval (the decision is the handover itself)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.actors import actor_columns
from keyclient.audit.models import BusinessEvent
from keyclient.audit.services import record_event
from keyclient.core.bulk import q
from keyclient.coverage.choices import ChangeKind
from keyclient.coverage.handover_pack import build_packs
from keyclient.coverage.models import AssignmentRequest, Coverage, CoverageChange, Handover, HandoverItem
from keyclient.coverage.rules import SERVING_ROLES, check_reason, may_assign_to
from keyclient.coverage.services import _apply_many, backfill
from keyclient.customers.models import Customer, ServiceTeamMember
from keyclient.engagement.choices import TaskKind, TaskPriority, TaskStatus
from keyclient.engagement.models import Task
from keyclient.security.roles import Role
from keyclient.valuation.choices import OverrideStatus

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff
    from keyclient.org.models import User

INTRODUCTION_DAYS = 14  # the new RM introduces themselves within two weeks
HANDOVER_ROLES = frozenset({Role.TEAM_LEAD, Role.BRANCH_HEAD, Role.HEAD_OFFICE, Role.ADMINISTRATOR})


def book_of(rm: User) -> Q:
    """Every client the RM still covers, serves on a team, or has an open task on."""
    served = ServiceTeamMember.objects.filter(member_id=rm.pk).values("customer_id")
    covered = Coverage.objects.filter(rm_id=rm.pk).values("customer_id")
    tasks = Task.objects.filter(owner_id=rm.pk, status=TaskStatus.OPEN, customer__isnull=False).values(
        "customer_id"
    )
    return Q(primary_rm_id=rm.pk) | Q(pk__in=served) | Q(pk__in=covered) | Q(pk__in=tasks)


def orphans(rm: User) -> dict[str, int]:
    """What still points at `rm`: each count is 0 after a complete handover."""
    return {
        "primary_rm": Customer.objects.filter(primary_rm_id=rm.pk).count(),
        "coverage": Coverage.objects.filter(rm_id=rm.pk).count(),
        "service_team": ServiceTeamMember.objects.filter(member_id=rm.pk).count(),
        "open_tasks": Task.objects.filter(owner_id=rm.pk, status=TaskStatus.OPEN).count(),
        "requests_naming_rm": AssignmentRequest.objects.filter(
            primary_id=rm.pk, status=OverrideStatus.PENDING
        ).count(),
    }


def _check(actor: Staff, from_rm: User, to_rm: User) -> None:
    if actor.role not in HANDOVER_ROLES or not actor.is_active:
        raise PermissionDenied(
            _("Only team leads, branch heads, head office and administrators hand books over.")
        )
    if from_rm.pk == to_rm.pk:
        raise ValidationError({"to_rm": [_("Choose another RM than the one handing over.")]})
    if actor.role == Role.ADMINISTRATOR:
        if not to_rm.is_active or to_rm.role not in SERVING_ROLES:
            raise ValidationError({"to_rm": [_("The new RM must be active staff who serve clients.")]})
        return
    if not may_assign_to(actor, to_rm):
        raise ValidationError(
            {"to_rm": [_("You may not assign clients to %(rm)s.") % {"rm": to_rm.display_name}]}
        )
    book = Customer.objects.filter(book_of(from_rm))
    outside = book.exclude(pk__in=Customer.objects.visible_to(actor).values("pk")).count()
    if outside:
        raise PermissionDenied(
            _("%(n)s clients of this RM are outside your scope: ask whoever oversees them.") % {"n": outside}
        )


def hand_over(*, actor: Staff, from_rm: User, to_rm: User, reason: str) -> Handover:
    """Move `from_rm`'s whole book to `to_rm` (see the module); all or nothing."""
    reason = check_reason(reason)
    _check(actor, from_rm, to_rm)
    now, day = timezone.now(), timezone.localdate()
    with transaction.atomic():
        backfill(Customer.objects.filter(primary_rm_id=from_rm.pk))
        ids = sorted(Customer.objects.filter(book_of(from_rm)).values_list("pk", flat=True))
        packs = build_packs(ids, from_rm.pk)
        primaries = sorted(
            Coverage.objects.filter(rm_id=from_rm.pk, role="primary").values_list("customer_id", flat=True)
        )
        if primaries:
            _apply_many(actor, to_rm, primaries, reason, day, now)
        moved_secondary = _move_secondaries(actor, from_rm, to_rm, reason, day, now)
        seats = _move_team_seats(from_rm, to_rm)
        tasks_moved = Task.objects.filter(owner_id=from_rm.pk, status=TaskStatus.OPEN).update(
            owner_id=to_rm.pk
        )
        closed = AssignmentRequest.objects.filter(primary_id=from_rm.pk, status=OverrideStatus.PENDING).update(
            status=OverrideStatus.REJECTED, decided_by=actor, decided_at=now,
            decision_note=str(_("Closed by a handover: the proposed RM handed their book over."))[:500],
        )  # fmt: skip
        title = str(_("Introduce yourself to the client"))
        intro = Task.objects.bulk_create(
            Task(owner=to_rm, customer_id=pk, kind=TaskKind.INTRODUCTION, title=title, priority=TaskPriority.HIGH,
                 due_on=day + timedelta(days=INTRODUCTION_DAYS), created_by=actor, created_at=now)
            for pk in ids
        )  # fmt: skip
        handover = Handover.objects.create(
            from_rm=from_rm, to_rm=to_rm, reason=reason, created_by=actor, created_at=now
        )
        task_of = {t.customer_id: t.pk for t in intro}
        HandoverItem.objects.bulk_create(
            HandoverItem(handover=handover, customer_id=pk, pack=packs[pk], task_id=task_of.get(pk))
            for pk in ids
        )
        who = actor_columns(actor)
        numbers = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "customer_no"))
        BusinessEvent.objects.bulk_create(
            BusinessEvent(at=now, **who, verb="coverage.handed_over", customer_id=pk, customer_no=numbers[pk],
                          before={"rm": from_rm.pk}, after={"rm": to_rm.pk, "handover": handover.pk}, note=reason[:500])
            for pk in ids
        )  # fmt: skip
        left = orphans(from_rm)
        handover.report = {
            "clients": len(ids), "primary": len(primaries), "secondary": moved_secondary, "team_seats": seats,
            "tasks_moved": tasks_moved, "requests_closed": closed, "introduction_tasks": len(intro), "left": left,
        }  # fmt: skip
        handover.completed_at = now if not any(left.values()) else None
        handover.save(update_fields=["report", "completed_at"])
        record_event(actor=actor, verb="handover.done", before={"rm": from_rm.pk},
                     after={"rm": to_rm.pk, "handover": handover.pk, **handover.report}, note=reason)  # fmt: skip
    return handover


def _move_secondaries(actor: Staff, from_rm: User, to_rm: User, reason: str, day: Any, now: Any) -> int:
    """`from_rm`'s secondary rows go to `to_rm` (added to `to_rm`'s row where they already cover the
    client), with their history rows; one statement each."""
    cov, hist = q(Coverage._meta.db_table), q(CoverageChange._meta.db_table)
    head = "customer_id, kind, role, from_rm_id, to_rm_id, share_from, share_to, effective_on, reason, changed_by_id, approved_by_id, changed_at"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {hist} ({head})
            SELECT s.customer_id, %s, 'secondary', s.rm_id, %s, s.share,
                s.share + coalesce((SELECT t.share FROM {cov} t WHERE t.customer_id = s.customer_id AND t.rm_id = %s), 0),
                %s, %s, %s, CAST(NULL AS BIGINT), %s
            FROM {cov} s WHERE s.rm_id = %s AND s.role = 'secondary'""",  # noqa: S608 - model tables, quoted; values bound
            [ChangeKind.REASSIGN, to_rm.pk, to_rm.pk, day, reason, actor.pk, now, from_rm.pk],
        )
        moved = cursor.rowcount
        cursor.execute(
            f"""UPDATE {cov} SET share = share + (SELECT s.share FROM {cov} s WHERE s.customer_id = {cov}.customer_id
                AND s.rm_id = %s)
            WHERE rm_id = %s AND customer_id IN (SELECT customer_id FROM {cov} WHERE rm_id = %s)""",  # noqa: S608 - model table, quoted
            [from_rm.pk, to_rm.pk, from_rm.pk],
        )
        cursor.execute(
            f"""DELETE FROM {cov} WHERE rm_id = %s AND customer_id IN (SELECT customer_id FROM {cov} WHERE rm_id = %s)""",  # noqa: S608 - model table, quoted
            [from_rm.pk, to_rm.pk],
        )
        moving = f"UPDATE {cov} SET rm_id = %s, since = %s WHERE rm_id = %s"  # noqa: S608 - model table, quoted
        cursor.execute(moving, [to_rm.pk, day, from_rm.pk])
    return max(moved, 0)


def _move_team_seats(from_rm: User, to_rm: User) -> int:
    """Service-team seats of `from_rm` go to `to_rm` (a seat `to_rm` already holds is not doubled)."""
    seats = ServiceTeamMember.objects.filter(member_id=from_rm.pk)
    count = seats.count()
    held = ServiceTeamMember.objects.filter(member_id=to_rm.pk).values_list("customer_id", "team_role")
    doubled = Q(pk__in=[])
    for customer_id, role in held:  # the new RM's own seats: a handful
        doubled |= Q(customer_id=customer_id, team_role=role)
    seats.filter(doubled).delete()
    seats.update(member_id=to_rm.pk)
    return count
