"""Verbs and derived keys for accounts and holdings."""

from __future__ import annotations

from keyclient.security.crypto import blind_index


def account_bidx(account_no: str) -> str:
    """The blind index of an account or card number (the number itself is stored encrypted)."""
    return blind_index(account_no, "account_no")
