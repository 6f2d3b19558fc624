"""Template filters shared by every screen: money and percentages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def cny(value: Any) -> str:
    """`1234567.8` → `1,234,567.80` (amounts are CNY unless a currency is shown beside them)."""
    number = _decimal(value)
    return "" if number is None else f"{number:,.2f}"


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
