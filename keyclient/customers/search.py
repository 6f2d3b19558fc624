"""One search box for clients: name, pinyin initials, last four of phone or ID, client number."""

from __future__ import annotations

import re

from django.db.models import Q

from keyclient.security.crypto import blind_index

_RESIDENT_ID = re.compile(r"\d{17}[\dXx]")
_ID_LAST4 = re.compile(r"\d{3}[Xx]")
_INITIALS = re.compile(r"[A-Za-z]{1,20}")
# Another document's number (passport, travel permit, registration): Latin letters and digits, both.
_OTHER_ID = re.compile(r"(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{6,30}")


def identifier_kind(text: str) -> str:
    """`mobile` or `id_number` when `text` is a whole identifier (it can confirm a masked one),
    else `""`. These searches are limited and recorded (`keyclient.customers.search_limits`)."""
    text = text.strip()
    if text.isdigit() and len(text) == 11:
        return "mobile"
    if _RESIDENT_ID.fullmatch(text) or _OTHER_ID.fullmatch(text):
        return "id_number"
    return ""


def search_filter(text: str) -> Q:
    """The filter for what a user typed.

    - 4 digits (or 3 and X): last four of the mobile or ID number;
    - 11 digits: the mobile number; an 18-character resident ID: that ID;
    - Latin letters with digits (6 to 30): another document's number (passport, permit…);
    - other digits: client number prefix;
    - Latin letters: pinyin initials prefix (`zs` → 张三, 张舒…);
    - anything else: name prefix.
    """
    text = text.strip()
    if not text:
        return Q()
    if text.isdigit():
        if len(text) == 4:
            return Q(mobile_last4_bidx=blind_index(text, "mobile_last4")) | Q(
                id_last4_bidx=blind_index(text, "id_last4")
            )
        if len(text) == 11:
            return Q(mobile_bidx=blind_index(text, "mobile")) | Q(customer_no__startswith=text)
        if len(text) == 18:
            return Q(id_number_bidx=blind_index(text, "id_number")) | Q(customer_no=text)
        return Q(customer_no__startswith=text)
    if _ID_LAST4.fullmatch(text):
        return Q(id_last4_bidx=blind_index(text, "id_last4"))
    if _RESIDENT_ID.fullmatch(text) or _OTHER_ID.fullmatch(text):
        return Q(id_number_bidx=blind_index(text, "id_number"))
    if _INITIALS.fullmatch(text):
        return Q(name_initials__startswith=text.lower())
    return Q(name__startswith=text)
