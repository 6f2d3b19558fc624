"""Filters of the client list, shared by the page and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from keyclient.audit.actors import signed_in
from keyclient.customers.choices import CustomerKind, CustomerStatus, Tier
from keyclient.customers.models import Customer
from keyclient.customers.queries import POSITION_FILTERS
from keyclient.customers.search_limits import search_clients
from keyclient.org.models import OrgUnit
from keyclient.security.roles import Role

# Longer input is refused with a message (400), never sent to the database: a search of tens of
# thousands of characters made SQLite fail ("LIKE pattern too complex").
SEARCH_MAX_LENGTH = 100


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        error_messages={
            "max_length": _("Search: at most %(limit_value)d characters (this one has %(show_value)d).")
        },
    )
    # The list's filters apply to the position's copies of the master's columns: the queryset is
    # `Customer.objects.ranked_for(user)`, which sorts on the position's indexes.
    tier = django_filters.ChoiceFilter(
        label=_("Tier"), field_name=POSITION_FILTERS["tier"], choices=Tier.choices, empty_label=_("All tiers")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"),
        field_name=POSITION_FILTERS["kind"],
        choices=CustomerKind.choices,
        empty_label=_("All kinds"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        field_name=POSITION_FILTERS["status"],
        choices=CustomerStatus.choices,
        empty_label=_("All statuses"),
    )
    org_unit = django_filters.ModelChoiceFilter(
        label=_("Org unit"),
        queryset=OrgUnit.objects.none(),
        method="filter_org_unit",
        empty_label=_("All units in scope"),
    )
    # A staff number, not a list: a head-office user's scope holds thousands of RMs.
    rm = django_filters.CharFilter(
        label=_("RM staff number"), field_name=f"{POSITION_FILTERS['primary_rm']}__username", max_length=150
    )

    class Meta:
        model = Customer
        fields = ["q", "tier", "kind", "status", "org_unit", "rm"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        units = OrgUnit.objects.all()
        if user is not None and getattr(user, "org_unit_id", None) and user.role == Role.BRANCH_HEAD:
            units = units.filter(path__startswith=user.org_unit.path)
        self.filters["org_unit"].queryset = units

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Counted against the user's search limits; may raise SearchLimited (see search_limits).
        return search_clients(
            actor=signed_in(self.request.user), queryset=queryset, text=value, request=self.request
        )

    def filter_org_unit(self, queryset: QuerySet, name: str, value: OrgUnit | None) -> QuerySet:
        if value is None:
            return queryset
        units = OrgUnit.objects.filter(path__startswith=value.path).values("pk")
        return queryset.filter(**{f"{POSITION_FILTERS['home_org_unit']}__in": units})
