"""Masking of personal fields for display: pages, API, exports and logs all use these."""

from __future__ import annotations

import datetime as dt

MASK = "*"


def mask_id_number(value: str | None) -> str:
    """Resident ID `110101199001011234` → `110101********1234`; other IDs keep at most 2 + 2 characters."""
    if not value:
        return ""
    if len(value) == 18:
        return value[:6] + MASK * 8 + value[-4:]
    if len(value) <= 4:
        return MASK * len(value)
    return value[:2] + MASK * (len(value) - 4) + value[-2:]


def mask_phone(value: str | None) -> str:
    """Mobile `13812345678` → `138****5678`; other numbers keep their last four digits."""
    if not value:
        return ""
    if len(value) == 11:
        return value[:3] + MASK * 4 + value[-4:]
    if len(value) <= 4:
        return MASK * len(value)
    return MASK * (len(value) - 4) + value[-4:]


def mask_email(value: str | None) -> str:
    """`zhangsan@example.com` → `z***@example.com`."""
    if not value:
        return ""
    local, _, domain = value.partition("@")
    return (local[:1] + MASK * 3 + "@" + domain) if domain else MASK * 3


def mask_address(value: str | None) -> str:
    """Keep the first six characters (province and city), hide the rest."""
    if not value:
        return ""
    return value[:6] + MASK * 4


def mask_account_no(value: str | None) -> str:
    """Card or account number `6222021234567890123` → `6222 **** **** 0123`."""
    if not value:
        return ""
    if len(value) < 8:
        return MASK * len(value)
    return f"{value[:4]} **** **** {value[-4:]}"


def mask_birth_date(value: dt.date | str | None) -> str:
    """A birth date is the eight digits the ID mask hides: shown as `****-**-**`, never in part."""
    return "****-**-**" if value else ""


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    """Whole years from `birth_date` to `day`: what roles see instead of the birth date."""
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


MASKERS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "email": mask_email,
    "address": mask_address,
    "account_no": mask_account_no,
    "birth_date": mask_birth_date,
}
