"""The bank's reporting currency: every amount the CRM stores, every tier bar, price and limit is in it.

`settings.KEYCLIENT_REPORTING_CURRENCY` (ISO 4217 code, CNY by default) names it; the intake converts
amounts in other currencies into it (`keyclient.intake.fx`). Screens show it beside amounts through
`money_label` (form and table labels) and the `money` template filter.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext

DEFAULT_CURRENCY = "CNY"
# How an amount is prefixed on screen: a symbol where the bank's users expect one, else the code.
SYMBOLS = {"CNY": "¥"}


def reporting_currency() -> str:
    """The ISO 4217 code of the reporting currency, upper case."""
    return str(
        getattr(settings, "KEYCLIENT_REPORTING_CURRENCY", DEFAULT_CURRENCY) or DEFAULT_CURRENCY
    ).upper()


def currency_prefix() -> str:
    """What precedes an amount on screen: `¥` for CNY, `EUR ` for euros."""
    code = reporting_currency()
    return SYMBOLS.get(code, f"{code} ")


def currency_unit() -> str:
    """The reporting currency as a label names it: CNY is translated (元), any other is its code."""
    code = reporting_currency()
    return gettext("CNY") if code == DEFAULT_CURRENCY else code


def _label(message: Any) -> str:
    return str(message) % {"currency": currency_unit()}


money_label = lazy(_label, str)
money_label.__doc__ = (
    "A translatable label naming the reporting currency, filled in when shown: "
    '`money_label(_("Monthly average AUM at least (%(currency)s)"))`.'
)
