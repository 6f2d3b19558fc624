"""The data-scope door: which clients a user may see, and fetching one client for an action.

`Customer.objects.visible_to(user)` and `access_customer(user, pk, action)` are the only ways views,
API, search, exports and jobs acting for a user read clients. Objects that belong to a client are
scoped through it with `scoped_to_customers`.

Each takes an optional field class (`keyclient.security.field_classes`): then a client reached only
through its service team counts only where the user's team role sees that class, and
`field_classes_for` says which classes a user sees of each client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import F, Q
from django.http import Http404
from django.utils.translation import gettext as _

from keyclient.security.field_classes import ALL_CLASSES
from keyclient.security.roles import ScopeKind, may, scope_kind

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff, Viewer
    from keyclient.customers.models import Customer


def scope_filter(user: Viewer, field_class: str | None = None, *, on: str = "") -> Q | None:
    """A filter on Customer for `user`'s scope; None means nothing at all. With `field_class`, a
    client the user reaches only through a service team counts only if their role sees that class.

    `on="position__"` filters the copies of the scope columns in the client's position instead of
    the client master's own (the client list, which sorts on the position's indexes)."""
    from keyclient.customers.models import ServiceTeamMember

    kind = scope_kind(user)
    if kind is ScopeKind.NONE or not user.is_authenticated:
        return None
    if kind is ScopeKind.ALL:
        return Q()
    if kind is ScopeKind.OWN_BOOK:
        return _own_book(user, on, field_class)
    if kind is ScopeKind.TEAM:
        if user.team_id is None:  # a team lead without a team: their own book
            return _own_book(user, on, field_class)
        from keyclient.org.models import User

        members = list(User.objects.filter(team_id=user.team_id).values_list("pk", flat=True))
        served = (
            _seeing(ServiceTeamMember.objects.filter(member_id__in=members), field_class)
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


def _seeing(rows: models.QuerySet, field_class: str | None) -> models.QuerySet:
    """Service-team rows whose team role sees `field_class` (all of them without one)."""
    from keyclient.customers.field_classes import roles_seeing

    return rows if field_class is None else rows.filter(team_role__in=roles_seeing(field_class))


def _own_book(user: Staff, on: str = "", field_class: str | None = None) -> Q:
    """Clients the user serves as primary RM or as a service-team member.

    The served ids are fetched first (a handful): `rm = X OR id IN (1, 2, 3)` lets PostgreSQL
    combine two indexes, where a subquery made it scan a million rows.
    """
    from keyclient.customers.models import ServiceTeamMember

    served = (
        _seeing(ServiceTeamMember.objects.filter(member_id=user.pk), field_class)
        .order_by()
        .values_list("customer_id", flat=True)
    )
    return Q(**{f"{on}primary_rm_id": user.pk}) | Q(**{_pk(on): list(served)})


def _pk(on: str) -> str:
    """The client id lookup on the same table as the scope columns: an OR of two conditions on one
    table lets PostgreSQL combine two of its indexes (across the join it scanned the scope)."""
    return f"{on}customer_id__in" if on else "pk__in"


def class_filter(user: Viewer, field_class: str) -> Q | None:
    """A filter on Customer for the clients of which `user` sees `field_class`, for a column shown or
    withheld inside SQL; None where the user sees that class of every client in scope."""
    if scope_kind(user) in (ScopeKind.ALL, ScopeKind.SUBTREE):
        return None
    return scope_filter(user, field_class) or Q(pk__in=[])


def field_classes_for(user: Viewer, customer_ids: list[int]) -> dict[int, frozenset[str]]:
    """The field classes `user` sees of each client of `customer_ids` (clients already reached
    through the door); see `field_classes_of`."""
    from keyclient.customers.models import Customer

    rows = Customer.objects.filter(pk__in=customer_ids).only("pk", "primary_rm_id")
    return field_classes_of(user, list(rows))


def field_classes_of(user: Viewer, customers: list[Customer]) -> dict[int, frozenset[str]]:
    """The field classes `user` sees of each of `customers` (already reached through the door).

    Every class where the user's position reaches the client (primary RM, the team lead of its RM,
    the branch, head office, risk, compliance); where the user reaches it only through a service
    team, the classes of the team roles (theirs, or their team's for a team lead). No query for the
    RM's own book or wider scopes; one for the team rows of the others (and one for a lead's team)."""
    from keyclient.customers.field_classes import classes_of_roles
    from keyclient.customers.models import ServiceTeamMember

    kind = scope_kind(user)
    if kind is ScopeKind.NONE or not user.is_authenticated:
        return {c.pk: frozenset() for c in customers}
    if kind in (ScopeKind.ALL, ScopeKind.SUBTREE):
        return {c.pk: ALL_CLASSES for c in customers}
    members = {user.pk}
    if kind is ScopeKind.TEAM and user.team_id is not None:
        from keyclient.org.models import User

        members = set(User.objects.filter(team_id=user.team_id).values_list("pk", flat=True))
    others = [c.pk for c in customers if c.primary_rm_id not in members]
    roles: dict[int, set[str]] = {pk: set() for pk in others}
    if others:
        rows = ServiceTeamMember.objects.filter(customer_id__in=others, member_id__in=members)
        for customer_id, role in rows.values_list("customer_id", "team_role"):
            roles[customer_id].add(role)
    return {c.pk: classes_of_roles(roles[c.pk]) if c.pk in roles else ALL_CLASSES for c in customers}


def access_customer(
    user: Viewer, pk: int | str, action: str = "view", field_class: str | None = None
) -> Customer:
    """The client `pk` if `user` may do `action` on it (and, with `field_class`, see that class).

    Out of scope (or unknown) is 404, never 403, so that a URL does not reveal that a client exists.
    In scope but the role may not do the action (compliance changing data), or the user's team role
    does not see `field_class`, is 403.
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
    if field_class is not None and field_class not in field_classes_of(user, [customer])[customer.pk]:
        raise PermissionDenied(_("Your role in this client's service team does not show this."))
    return customer


def scoped_to_customers(
    queryset: models.QuerySet, user: Viewer, field: str = "customer", field_class: str | None = None
) -> models.QuerySet:
    """Objects of `queryset` whose client (`field`) is visible to `user` (with `field_class`)."""
    from keyclient.customers.models import Customer

    visible = Customer.objects.visible_to(user, field_class=field_class)
    return queryset.filter(**{f"{field}__in": visible.values("pk")})


def withhold_fields(user: Viewer, customers: list[Customer]) -> list[Customer]:
    """Blank, in memory, the fields of each client (list rows, API bodies) that `user` does not see
    (`CUSTOMER_FIELDS_BY_CLASS`); two queries for the whole list. The objects must not be saved."""
    from keyclient.customers.field_classes import CUSTOMER_FIELDS_BY_CLASS

    seen = field_classes_of(user, customers)
    for customer in customers:
        for field_class, fields in CUSTOMER_FIELDS_BY_CLASS.items():
            if field_class not in seen[customer.pk]:
                for name in fields:
                    setattr(customer, name, None)
    return customers
