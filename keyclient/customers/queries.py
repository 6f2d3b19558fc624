"""Shared querysets for clients, starting with the data-scope door."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from keyclient.customers.scope import scope_filter

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user: Viewer, field_class: str | None = None) -> CustomerQuerySet:
        """Only the clients `user` may see (see `keyclient.customers.scope`). Default deny. With
        `field_class`, only those of which the user also sees that class."""
        condition = scope_filter(user) if field_class is None else scope_filter(user, field_class)
        return self.none() if condition is None else self.filter(condition)
