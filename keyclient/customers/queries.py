"""Shared querysets for clients, starting with the data-scope door."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F

from keyclient.customers.scope import scope_filter

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user: Viewer, field_class: str | None = None) -> CustomerQuerySet:
        """Only the clients `user` may see (see `keyclient.customers.scope`). Default deny. With
        `field_class`, only those of which the user also sees that class."""
        condition = scope_filter(user) if field_class is None else scope_filter(user, field_class)
        return self.none() if condition is None else self.filter(condition)

    def ranked_for(self, user: Viewer) -> CustomerQuerySet:
        """The client list's door: the clients `user` may see, largest AUM first, each with `aum` and
        `aum_as_of` from its position. The scope and the list's filters (`POSITION_FILTERS`) apply to
        the position's copies of the master's columns, so that PostgreSQL walks one of the position's
        indexes in AUM order and stops at the page's last row."""
        condition = scope_filter(user, on="position__")
        if condition is None:
            return self.none()
        return (
            self.filter(condition, position__isnull=False)
            .annotate(aum=F("position__aum"), aum_as_of=F("position__aum_as_of"))
            .order_by("-position__aum", "id")
        )


# The list's filters, on the position's copies of the client master's columns (see `ranked_for`).
POSITION_FILTERS = {
    "tier": "position__tier",
    "kind": "position__kind",
    "status": "position__status",
    "home_org_unit": "position__home_org_unit",
    "primary_rm": "position__primary_rm",
}
