"""Verbs on the client master. Every write goes through here with an actor."""

from __future__ import annotations

from typing import Any

from keyclient.customers.pinyin import name_initials


def search_keys(*, name: str, id_number: str, mobile: str) -> dict[str, str]:
    """The derived search columns of a client: pinyin initials and last four digits."""
    return {
        "name_initials": name_initials(name),
        "id_last4": id_number[-4:] if id_number else "",
        "mobile_last4": mobile[-4:] if mobile else "",
    }


def refresh_search_keys(*, actor: Any, customer: Any) -> None:
    """Recompute a client's search keys after its name, ID or mobile changed."""
    for field, value in search_keys(
        name=customer.name, id_number=customer.id_number, mobile=customer.mobile
    ).items():
        setattr(customer, field, value)
    customer.save(update_fields=["name_initials", "id_last4", "mobile_last4", "updated_at"])
