"""The decision step shared by every request a second person approves (tier decisions here, RM
changes in `coverage`): only a pending request is decided, never by the person who made it, and a
rejection says why. The caller checks the decider's role and scope and locks the request row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from keyclient.valuation.choices import OverrideStatus

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff


def check_decision(*, actor: Staff, requested_by_id: int, status: str, approve: bool, note: str) -> str:
    """The status the request takes, or the refusal (nothing is written by this check)."""
    if status != OverrideStatus.PENDING:
        raise ValidationError(
            _("This request is already %(status)s.") % {"status": OverrideStatus(status).label}
        )
    if requested_by_id == actor.pk:
        raise PermissionDenied(_("A second person must decide: you made this request."))
    if not approve and not note:
        raise ValidationError({"note": [_("Say why the request is rejected.")]})
    return OverrideStatus.APPROVED if approve else OverrideStatus.REJECTED
