"""Break-glass unmasking: one personal field of one client, with a stated reason, always recorded."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from keyclient.audit.choices import AccessAction
from keyclient.audit.services import record_access
from keyclient.customers.models import ContactPoint, Customer

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff

# A reason is words: at least this many letters, a Chinese character counting as two (so four
# characters such as 核实身份, or eight letters such as "callback"), with at least three different
# ones; or a ticket reference matching settings.KEYCLIENT_UNMASK_TICKET_PATTERN. "a.b." or
# "xxxx" is no reason. At most MAX_REASON_LENGTH characters (the audit row keeps the reason whole).
MIN_REASON_WEIGHT = 8
MIN_REASON_DISTINCT = 3
MAX_REASON_LENGTH = 200
# `contact:<id>`: ASCII digits only, at most 18 (str.isdigit also takes "²" and 5,000-digit numbers)
_CONTACT_FIELD = re.compile(r"contact:([0-9]{1,18})")


def _weight(char: str) -> int:
    if not char.isalpha():
        return 0
    return 2 if "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" else 1


def reason_error(reason: str) -> str | None:
    """Why `reason` is not a reason for unmasking, or None."""
    if len(reason) > MAX_REASON_LENGTH:
        return _("A reason has at most %(n)d characters.") % {"n": MAX_REASON_LENGTH}
    pattern = settings.KEYCLIENT_UNMASK_TICKET_PATTERN
    if pattern and re.search(pattern, reason):
        return None
    letters = [c for c in reason if _weight(c)]
    if sum(_weight(c) for c in letters) >= MIN_REASON_WEIGHT and len(set(letters)) >= MIN_REASON_DISTINCT:
        return None
    if pattern:
        return _(
            "State why you need to see this field in words (at least 4 Chinese characters or 8 letters) "
            "or give the ticket reference."
        )
    return _("State why you need to see this field in words (at least 4 Chinese characters or 8 letters).")


def unmask_field(
    *, actor: Staff, customer: Customer, field: str, reason: str, request: HttpRequest | None = None
) -> str:
    """The clear value of `field` (`id_number`, `mobile`, `birth_date`, `registration_no` or
    `contact:<id>`) of `customer`.

    The caller has already checked the actor's right to unmask through `access_customer`.
    Nothing is revealed unless the access event was written.
    """
    reason = reason.strip()
    error = reason_error(reason)
    if error:
        raise ValidationError(error)
    if field in ("id_number", "mobile", "registration_no"):
        value = getattr(customer, field)
    elif field == "birth_date":
        value = customer.birth_date.isoformat() if customer.birth_date else ""
    elif contact_id := _CONTACT_FIELD.fullmatch(field):
        contact = ContactPoint.objects.filter(customer=customer, pk=int(contact_id[1])).first()
        if contact is None:
            raise ValidationError(_("This client has no such contact point."))
        value = contact.value
    else:
        raise ValidationError(_("This field cannot be unmasked."))
    if not value:
        raise ValidationError(_("Not on file: there is nothing to show."))
    record_access(
        actor=actor,
        action=AccessAction.UNMASK_FIELD,
        customer=customer,
        fields=[field],
        reason=reason,
        request=request,
    )
    return value
