"""The data-scope door: which clients a user may see, and fetching one client for an action.

`Customer.objects.visible_to(user)` and `access_customer(user, pk, action)` are the only ways views,
API, search, exports and jobs acting for a user read clients. Objects that belong to a client are
scoped through it with `scoped_to_customers`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import F, Q
from django.http import Http404
from django.utils.translation import gettext as _

from keyclient.security.roles import ScopeKind, may, scope_kind

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff, Viewer
    from keyclient.customers.models import Customer


def scope_filter(user: Viewer, *, on: str = "") -> Q | None:
    """A filter on Customer for `user`'s scope; None means nothing at all.

    `on="position__"` filters the copies of the scope columns in the client's position instead of
    the client master's own (the client list, which sorts on the position's indexes)."""
    from keyclient.customers.models import ServiceTeamMember

    kind = scope_kind(user)
    if kind is ScopeKind.NONE or not user.is_authenticated:
        return None
    if kind is ScopeKind.ALL:
        return Q()
    if kind is ScopeKind.OWN_BOOK:
        return _own_book(user, on)
    if kind is ScopeKind.TEAM:
        if user.team_id is None:
            return _own_book(user, on)
        from keyclient.org.models import User

        members = list(User.objects.filter(team_id=user.team_id).values_list("pk", flat=True))
        served = (
            ServiceTeamMember.objects.filter(member_id__in=members)
            .order_by()
            .values_list("customer_id", flat=True)
        )
        return Q(**{f"{on}primary_rm_id__in": members}) | Q(**{_pk(on): list(served.distinct())})
    if kind is ScopeKind.SUBTREE:
        if user.org_unit is None:
            return None
        from keyclient.org.models import OrgUnit

        units = OrgUnit.objects.filter(path__startswith=user.org_unit.path).values("pk")
        return Q(**{f"{on}home_org_unit_id__in": units})
    return None


def _own_book(user: Staff, on: str = "") -> Q:
    """Clients the user serves as primary RM or as a service-team member.

    The served ids are fetched first (a handful): `rm = X OR id IN (1, 2, 3)` lets PostgreSQL
    combine two indexes, where a subquery made it scan a million rows.
    """
    from keyclient.customers.models import ServiceTeamMember

    served = (
        ServiceTeamMember.objects.filter(member_id=user.pk).order_by().values_list("customer_id", flat=True)
    )
    return Q(**{f"{on}primary_rm_id": user.pk}) | Q(**{_pk(on): list(served)})


def _pk(on: str) -> str:
    """The client id lookup on the same table as the scope columns: an OR of two conditions on one
    table lets PostgreSQL combine two of its indexes (across the join it scanned the scope)."""
    return f"{on}customer_id__in" if on else "pk__in"


def access_customer(user: Viewer, pk: int | str, action: str = "view") -> Customer:
    """The client `pk` if `user` may do `action` on it.

    Out of scope (or unknown) is 404, never 403, so that a URL does not reveal that a client exists.
    In scope but the role may not do the action (compliance changing data) is 403.
    """
    from keyclient.customers.models import Customer

    try:
        customer = (
            Customer.objects.visible_to(user)
            .select_related("home_org_unit", "primary_rm")
            .annotate(aum=F("position__aum"), aum_as_of=F("position__aum_as_of"))
            .get(pk=pk)
        )
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such client")) from None
    if not may(user, action):
        raise PermissionDenied(_("Your role may not do this."))
    return customer


def scoped_to_customers(queryset: models.QuerySet, user: Viewer, field: str = "customer") -> models.QuerySet:
    """Objects of `queryset` whose client (`field`) is visible to `user`."""
    from keyclient.customers.models import Customer

    return queryset.filter(**{f"{field}__in": Customer.objects.visible_to(user).values("pk")})
