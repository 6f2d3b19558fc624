"""Verbs on the client master. Every write goes through here with an actor."""

from __future__ import annotations

from keyclient.customers.pinyin import name_initials
from keyclient.security.crypto import blind_index


def search_keys(*, name: str, id_number: str, mobile: str) -> dict[str, str]:
    """The derived search columns of a client: pinyin initials and the blind indexes."""
    return {
        "name_initials": name_initials(name),
        "id_number_bidx": blind_index(id_number, "id_number"),
        "id_last4_bidx": blind_index(id_number[-4:], "id_last4"),
        "mobile_bidx": blind_index(mobile, "mobile"),
        "mobile_last4_bidx": blind_index(mobile[-4:], "mobile_last4"),
    }
