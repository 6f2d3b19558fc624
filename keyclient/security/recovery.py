"""Resetting a lost authenticator: a request with a reason, then a second administrator's decision.

The service verbs of the reset (the security app's other verbs live beside their mechanism: lockout,
totp). Both steps are business events; a refused step raises `ResetRefused` and writes nothing.
Approving deletes the user's TOTP device, so their next login goes to the enrolment page.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.actors import Staff
from keyclient.audit.services import record_event
from keyclient.security.models import ResetStatus, TOTPDevice, TwoFactorReset
from keyclient.security.roles import may_reset_two_factor

MIN_REASON_CHARACTERS = 4  # letters or digits (a Chinese character counts as one)


class ResetRefused(Exception):
    """A reset step that is not allowed; the message says why (for the person who tried)."""


def _check_right(actor: Staff) -> None:
    if not may_reset_two_factor(actor):
        raise ResetRefused(_("Only administrators request or decide a two-factor reset."))


def _clean_reason(reason: str) -> str:
    text = " ".join(reason.split())
    if sum(ch.isalnum() for ch in text) < MIN_REASON_CHARACTERS:
        raise ResetRefused(
            _("Give the reason for the reset (at least %(n)s letters or digits).")
            % {"n": MIN_REASON_CHARACTERS}
        )
    return text[:500]


@transaction.atomic
def request_two_factor_reset(*, actor: Staff, user: Staff, reason: str) -> TwoFactorReset:
    """Ask for `user`'s authenticator to be removed; another administrator decides. Records
    `two_factor_reset_requested`."""
    _check_right(actor)
    if actor.pk == user.pk:
        raise ResetRefused(
            _("You cannot request a reset of your own authenticator: ask another administrator.")
        )
    text = _clean_reason(reason)
    if not TOTPDevice.objects.filter(user=user).exists():
        raise ResetRefused(_("%(user)s has no authenticator to reset.") % {"user": user.get_username()})
    if TwoFactorReset.objects.filter(user=user, status=ResetStatus.PENDING).exists():
        raise ResetRefused(
            _("A reset of %(user)s awaits a decision already.") % {"user": user.get_username()}
        )
    reset = TwoFactorReset.objects.create(user=user, reason=text, requested_by=actor)
    record_event(
        actor=actor,
        verb="two_factor_reset_requested",
        after={"reset": reset.pk, "user": user.get_username(), "reason": text},
        note=f"two-factor reset of {user.get_username()} requested",
    )
    return reset


def _pending_for_decision(actor: Staff, reset: TwoFactorReset) -> TwoFactorReset:
    _check_right(actor)
    locked = (
        TwoFactorReset.objects.select_for_update().select_related("user", "requested_by").get(pk=reset.pk)
    )
    if locked.status != ResetStatus.PENDING:
        raise ResetRefused(_("This reset was decided already."))
    if actor.pk == locked.requested_by_id:
        raise ResetRefused(_("You made this request: a second administrator decides it."))
    if actor.pk == locked.user_id:
        raise ResetRefused(_("You cannot decide a reset of your own authenticator."))
    return locked


def _decide(actor: Staff, reset: TwoFactorReset, status: str) -> None:
    reset.status, reset.decided_by, reset.decided_at = status, actor, timezone.now()
    reset.save(update_fields=["status", "decided_by", "decided_at"])


@transaction.atomic
def approve_two_factor_reset(*, actor: Staff, reset: TwoFactorReset) -> TwoFactorReset:
    """Approve a pending reset made by someone else: the user's TOTP device is deleted (the next
    login enrols a new one). Records `two_factor_reset_approved`."""
    reset = _pending_for_decision(actor, reset)
    removed, _by_model = TOTPDevice.objects.filter(user_id=reset.user_id).delete()
    _decide(actor, reset, ResetStatus.APPROVED)
    record_event(
        actor=actor,
        verb="two_factor_reset_approved",
        before={"device": removed > 0},
        after={
            "reset": reset.pk,
            "user": reset.user.get_username(),
            "requested_by": reset.requested_by.get_username(),
            "device": False,
        },
        note=f"authenticator of {reset.user.get_username()} removed",
    )
    return reset


@transaction.atomic
def reject_two_factor_reset(*, actor: Staff, reset: TwoFactorReset) -> TwoFactorReset:
    """Reject a pending reset made by someone else; the device stays. Records `two_factor_reset_rejected`."""
    reset = _pending_for_decision(actor, reset)
    _decide(actor, reset, ResetStatus.REJECTED)
    record_event(
        actor=actor,
        verb="two_factor_reset_rejected",
        after={
            "reset": reset.pk,
            "user": reset.user.get_username(),
            "requested_by": reset.requested_by.get_username(),
        },
        note=f"two-factor reset of {reset.user.get_username()} rejected",
    )
    return reset
