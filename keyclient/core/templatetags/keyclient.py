"""Template filters shared by every screen: money and percentages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from keyclient.core.money import currency_prefix, reporting_currency

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def cny(value: Any) -> str:
    """`1234567.8` → `1,234,567.80` (amounts are in the reporting currency, `keyclient.core.money`)."""
    number = _decimal(value)
    return "" if number is None else f"{number:,.2f}"


@register.filter
def money(value: Any) -> str:
    """An amount with the reporting currency: `¥1,234,567.80` (CNY), `EUR 1,234,567.80` (EUR)."""
    number = _decimal(value)
    if number is None:
        return ""
    sign = "-" if number < 0 else ""
    return f"{sign}{currency_prefix()}{abs(number):,.2f}"


@register.simple_tag
def currency() -> str:
    """The reporting currency's code (`CNY`), for headers and labels."""
    return reporting_currency()


@register.filter
def cny_short(value: Any) -> str:
    """Compact amount for dense tables: `12,345,678` → `1,234.57万`; below ten thousand as is."""
    number = _decimal(value)
    if number is None:
        return ""
    if abs(number) >= 10_000:
        return f"{number / 10_000:,.2f}万"
    return f"{number:,.2f}"


@register.filter
def percent(value: Any, places: int = 1) -> str:
    """`0.1234` → `12.3%`."""
    number = _decimal(value)
    return "" if number is None else f"{number * 100:.{int(places)}f}%"
