"""Break-glass unmasking: one personal field of one client, with a stated reason, always recorded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from keyclient.audit.choices import AccessAction
from keyclient.audit.services import record_access
from keyclient.customers.models import ContactPoint, Customer

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff

MIN_REASON_LENGTH = 4


def unmask_field(
    *, actor: Staff, customer: Customer, field: str, reason: str, request: HttpRequest | None = None
) -> str:
    """The clear value of `field` (`id_number`, `mobile` or `contact:<id>`) of `customer`.

    The caller has already checked the actor's right to unmask through `access_customer`.
    Nothing is revealed unless the access event was written.
    """
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            _("State why you need to see this field (at least %(n)d characters).") % {"n": MIN_REASON_LENGTH}
        )
    if field in ("id_number", "mobile"):
        value = getattr(customer, field)
    elif field.startswith("contact:") and field[8:].isdigit():
        contact = ContactPoint.objects.filter(customer=customer, pk=int(field[8:])).first()
        if contact is None:
            raise ValidationError(_("This client has no such contact point."))
        value = contact.value
    else:
        raise ValidationError(_("This field cannot be unmasked."))
    record_access(
        actor=actor,
        action=AccessAction.UNMASK_FIELD,
        customer=customer,
        fields=[field],
        reason=reason,
        request=request,
    )
    return value
