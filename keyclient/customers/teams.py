"""Verbs on a client's service team: add a member, change a member's role, remove a member.

Each verb runs in one transaction and writes the change with its audit rows: field changes of the
`ServiceTeamMember` row (member, team role) and one business event, under the acting user. The
caller passes a client it reached through the data-scope door; who may edit is
`keyclient.security.roles.may_edit_service_team`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.choices import EventVerb
from keyclient.audit.services import record_changes, record_event
from keyclient.customers.choices import TeamRole
from keyclient.customers.models import Customer, ServiceTeamMember
from keyclient.security.roles import Role

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff
    from keyclient.org.models import User

# A senior sponsor comes from management.
SPONSOR_ROLES = frozenset({Role.TEAM_LEAD, Role.BRANCH_HEAD, Role.HEAD_OFFICE})


def _check(member: User, team_role: str) -> None:
    if team_role not in TeamRole.values:
        raise ValidationError({"team_role": _("Unknown role in the team: %(r)s") % {"r": team_role}})
    if not member.is_active:
        raise ValidationError({"member": _("%(m)s is deactivated.") % {"m": member.username}})
    if member.role == Role.ADMINISTRATOR:
        raise ValidationError({"member": _("Administrators do not serve clients.")})
    if team_role == TeamRole.SENIOR_SPONSOR and member.role not in SPONSOR_ROLES:
        raise ValidationError(
            {"team_role": _("A senior sponsor comes from management (team lead or above).")}
        )


def _audit(actor: Staff, row: ServiceTeamMember, verb: str, before: dict, after: dict) -> None:
    changes = {k: (before.get(k, ""), after.get(k, "")) for k in ("member", "team_role")}
    record_changes(actor=actor, instance=row, customer_id=row.customer_id, changes=changes)
    record_event(actor=actor, verb=verb, customer=row.customer, before=before, after=after)


@transaction.atomic
def add_team_member(*, actor: Staff, customer: Customer, member: User, team_role: str) -> ServiceTeamMember:
    """Put `member` in `customer`'s service team as `team_role` (any department)."""
    _check(member, team_role)
    if ServiceTeamMember.objects.filter(customer=customer, member=member, team_role=team_role).exists():
        raise ValidationError(
            {"member": _("%(m)s already has this role in the team.") % {"m": member.username}}
        )
    row = ServiceTeamMember.objects.create(
        customer=customer, member=member, team_role=team_role, since=timezone.localdate()
    )
    _audit(actor, row, EventVerb.TEAM_MEMBER_ADDED, {}, {"member": member.username, "team_role": team_role})
    return row


@transaction.atomic
def change_team_role(*, actor: Staff, row: ServiceTeamMember, team_role: str) -> ServiceTeamMember:
    """Give a member of the team another role."""
    row = ServiceTeamMember.objects.select_for_update().select_related("member", "customer").get(pk=row.pk)
    _check(row.member, team_role)
    if row.team_role == team_role:
        raise ValidationError({"team_role": _("The member already has this role.")})
    clash = ServiceTeamMember.objects.filter(
        customer_id=row.customer_id, member=row.member, team_role=team_role
    )
    if clash.exists():
        raise ValidationError({"team_role": _("The member already has this role in the team.")})
    before = {"member": row.member.username, "team_role": row.team_role}
    row.team_role = team_role
    row.save(update_fields=["team_role"])
    _audit(actor, row, EventVerb.TEAM_ROLE_CHANGED, before, {**before, "team_role": team_role})
    return row


@transaction.atomic
def remove_team_member(*, actor: Staff, row: ServiceTeamMember) -> None:
    """Take a member out of the team: from now on they see nothing of the client through it."""
    row = ServiceTeamMember.objects.select_for_update().select_related("member", "customer").get(pk=row.pk)
    before = {"member": row.member.username, "team_role": row.team_role}
    _audit(actor, row, EventVerb.TEAM_MEMBER_REMOVED, before, {})
    row.delete()
