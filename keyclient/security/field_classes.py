"""Field classes: which parts of a client's record a person sees once the client is in their scope.

The data-scope door (`keyclient.customers.scope`) decides *which clients* a user sees; masking
(`keyclient.security.masking`) decides how personal fields *look*; field classes decide *which parts*
of a client in scope are shown. A user who reaches a client through their position (the primary RM,
their team lead, the branch, head office, risk, compliance) sees every class. A user who reaches a
client only as a member of its service team sees the classes their team role declares
(`keyclient.customers.field_classes`): a credit officer sees loans and limits, not the wealth
breakdown. Masking still applies inside every class.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldClass(models.TextChoices):
    """A part of the client record, granted or withheld as a whole (pages, API, exports)."""

    PROFILE = "profile", _("Profile: name, kind, tier, unit, RM, masked identifiers, risk tolerance, tags")
    CONTACT = "contact", _("Contact data: phones, e-mail, address (masked)")
    WEALTH = "wealth", _("Wealth: AUM, composition, trend, holdings, balances, transactions")
    CREDIT = "credit", _("Credit: loans and limits")
    VALUE = "value", _("Value: indicators, value score, lifetime value")
    RELATIONSHIPS = "relationships", _("Relationships: households, groups, links")
    SERVICE = "service", _("Service: service level and service team")


ALL_CLASSES: frozenset[str] = frozenset(str(c) for c in FieldClass)
