"""Whose coverage a user looks at: the clients through the data-scope door, and the RMs of the same reach.

Team leads see their team, branch heads their unit's subtree, head office everything; a `unit` (in
their reach) narrows it to that unit's subtree. Nobody else sees coverage.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from keyclient.audit.actors import Viewer
from keyclient.customers.models import Customer
from keyclient.org.models import OrgUnit, User
from keyclient.security.roles import Role, ScopeKind, may_view_coverage, scope_kind


def may_apply_suggestions(user: Viewer | None) -> bool:
    """Team leads and branch heads apply assignment suggestions inside their reach."""
    return may_view_coverage(user) and getattr(user, "role", "") in (Role.TEAM_LEAD, Role.BRANCH_HEAD)


@dataclass(frozen=True)
class CoverageScope:
    unit: OrgUnit | None  # None: the user's whole reach
    clients: QuerySet[Customer]
    rms: QuerySet[User]


def coverage_scope(user: Viewer, unit_id: int | str | None = None) -> CoverageScope:
    """The clients and RMs `user` looks at (PermissionDenied for a role without coverage; 404 for a
    unit outside the reach)."""
    if not may_view_coverage(user):
        raise PermissionDenied
    kind = scope_kind(user)
    clients = Customer.objects.visible_to(user)
    rms = User.objects.filter(role=Role.RELATIONSHIP_MANAGER, is_active=True)
    if kind is ScopeKind.TEAM:
        rms = rms.filter(team_id=user.team_id) if user.team_id else rms.none()  # type: ignore[union-attr]
    elif kind is ScopeKind.SUBTREE:
        reach = user.org_unit  # type: ignore[union-attr]
        rms = rms.filter(org_unit__path__startswith=reach.path) if reach else rms.none()
    unit = None
    if unit_id not in (None, ""):
        units = OrgUnit.objects.all()
        if kind is ScopeKind.SUBTREE and user.org_unit is not None:  # type: ignore[union-attr]
            units = units.filter(path__startswith=user.org_unit.path)  # type: ignore[union-attr]
        try:
            unit = units.get(pk=unit_id)
        except (OrgUnit.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
        clients = clients.filter(home_org_unit__path__startswith=unit.path)
        rms = rms.filter(org_unit__path__startswith=unit.path)
    return CoverageScope(unit=unit, clients=clients, rms=rms)
