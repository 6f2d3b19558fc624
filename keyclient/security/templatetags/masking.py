"""`{{ value|mask:"phone" }}`: masked display of a personal field in templates."""

from __future__ import annotations

from typing import Any

from django import template

from keyclient.security.masking import MASKERS

register = template.Library()


@register.filter
def mask(value: Any, field_class: str) -> str:
    """Mask `value` as `field_class` (id_number, phone, email, address, account_no, birth_date)."""
    return MASKERS[field_class](value)
