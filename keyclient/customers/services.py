"""Verbs on the client master. Every write goes through here with an actor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from keyclient.audit.services import record_changes
from keyclient.customers.choices import ContactKind
from keyclient.customers.models import ContactPoint, Customer
from keyclient.customers.pinyin import name_initials
from keyclient.security.crypto import blind_index
from keyclient.security.masking import MASKERS

if TYPE_CHECKING:
    from keyclient.audit.actors import Actor


def search_keys(*, name: str, id_number: str, mobile: str) -> dict[str, str]:
    """The derived search columns of a client: pinyin initials and the blind indexes."""
    return {
        "name_initials": name_initials(name),
        "id_number_bidx": blind_index(id_number, "id_number"),
        "id_last4_bidx": blind_index(id_number[-4:], "id_last4"),
        "mobile_bidx": blind_index(mobile, "mobile"),
        "mobile_last4_bidx": blind_index(mobile[-4:], "mobile_last4"),
    }


# Contact points -------------------------------------------------------------------------------

CONTACT_MASKERS = {"mobile": "phone", "phone": "phone", "email": "email", "address": "address"}


def _masked_contact(kind: str, value: str) -> str:
    return MASKERS[CONTACT_MASKERS[kind]](value)


@transaction.atomic
def add_contact_point(
    *, actor: Actor, customer: Customer, kind: str, value: str, label: str = "", is_primary: bool = False
) -> ContactPoint:
    """Record a new phone, email or address of `customer` (the audit keeps it masked)."""
    contact = ContactPoint.objects.create(
        customer=customer, kind=kind, value=value, label=label, is_primary=is_primary
    )
    if kind == ContactKind.MOBILE and is_primary:
        _set_primary_mobile(customer, value)
    record_changes(
        actor=actor,
        instance=contact,
        customer_id=customer.pk,
        changes={"kind": (None, kind), "value": (None, _masked_contact(kind, value)), "label": (None, label)},
    )
    return contact


@transaction.atomic
def change_contact_point(
    *, actor: Actor, contact: ContactPoint, kind: str, value: str, label: str, is_primary: bool
) -> ContactPoint:
    """Change a contact point; each changed field is recorded old → new (masked)."""
    contact = ContactPoint.objects.select_for_update().get(pk=contact.pk)
    before = {
        "kind": contact.kind,
        "value": _masked_contact(contact.kind, contact.value),
        "label": contact.label,
        "is_primary": contact.is_primary,
    }
    contact.kind, contact.value, contact.label, contact.is_primary = kind, value, label, is_primary
    contact.save()
    if kind == ContactKind.MOBILE and is_primary:
        _set_primary_mobile(contact.customer, value)
    after = {"kind": kind, "value": _masked_contact(kind, value), "label": label, "is_primary": is_primary}
    record_changes(
        actor=actor,
        instance=contact,
        customer_id=contact.customer_id,
        changes={k: (before[k], after[k]) for k in before},
    )
    return contact


@transaction.atomic
def remove_contact_point(*, actor: Actor, contact: ContactPoint) -> None:
    """Delete a contact point; the deletion is recorded with its masked value."""
    record_changes(
        actor=actor,
        instance=contact,
        customer_id=contact.customer_id,
        changes={"value": (_masked_contact(contact.kind, contact.value), None)},
    )
    contact.delete()


def _set_primary_mobile(customer: Customer, mobile: str) -> None:
    """Keep the client's primary mobile and its search keys in step with its contact points."""
    customer.mobile = mobile
    keys = search_keys(name=customer.name, id_number=customer.id_number, mobile=mobile)
    customer.mobile_bidx, customer.mobile_last4_bidx = keys["mobile_bidx"], keys["mobile_last4_bidx"]
    customer.save(update_fields=["mobile", "mobile_bidx", "mobile_last4_bidx", "updated_at"])
