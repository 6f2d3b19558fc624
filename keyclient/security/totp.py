"""TOTP two-factor login (RFC 6238 through pyotp): enrolment, code checks, the session's verified mark.

A code is 6 digits for a 30-second time step; the step before and after are accepted for clock
drift. A device remembers the last step it accepted and refuses that step or an earlier one again,
so an observed code cannot be replayed. The secret is stored encrypted (`EncryptedTextField`).
"""

from __future__ import annotations

import enum
import hmac
from typing import TYPE_CHECKING, Any

import pyotp
import segno
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from keyclient.audit.services import record_event
from keyclient.security.models import TOTPDevice

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff

ISSUER = "Keyclient"
DIGITS = 6
PERIOD = 30
DRIFT_STEPS = 1
# The session holds the id of the user who passed the second factor in it (see `mark_verified`).
SESSION_KEY = "keyclient_two_factor_user"


class CodeCheck(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    REUSED = "reused"


def normalise_code(code: str) -> str:
    return "".join(code.split())


def confirmed_device(user: Staff) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def has_confirmed_device(user: Staff) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def pending_device(user: Staff) -> TOTPDevice:
    """The user's device awaiting confirmation, created with a fresh secret on first use; the same
    secret is shown again until a code confirms it."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, defaults={"secret": pyotp.random_base32(length=32)}
    )
    if device.confirmed_at is not None:
        raise ValueError("the user already has a confirmed TOTP device")
    return device


def provisioning_uri(device: TOTPDevice, user: Staff) -> str:
    return pyotp.TOTP(device.secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
        name=user.get_username(), issuer_name=ISSUER
    )


def qr_svg(uri: str, title: str = "") -> str:
    """The otpauth URI as an inline SVG QR code (no external resource, no script)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, title=title or None)


def current_step(now: Any = None) -> int:
    return int((now or timezone.now()).timestamp()) // PERIOD


def _matching_steps(secret: str, code: str, now: Any) -> list[int]:
    """The time steps around `now` whose code is `code`, newest first."""
    if len(code) != DIGITS or not code.isdigit():
        return []
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    step = current_step(now)
    candidates = range(step + DRIFT_STEPS, step - DRIFT_STEPS - 1, -1)
    return [s for s in candidates if hmac.compare_digest(totp.generate_otp(s), code)]


def _claim_step(device: TOTPDevice, steps: list[int], **also: Any) -> int | None:
    """Record the newest of `steps` as used unless it (or a later step) was used already; the
    conditional update makes two concurrent uses of one code succeed at most once."""
    for step in steps:
        updated = (
            TOTPDevice.objects.filter(pk=device.pk)
            .filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step))
            .update(last_used_step=step, **also)
        )
        if updated:
            device.last_used_step = step
            for name, value in also.items():
                setattr(device, name, value)
            return step
    return None


def check_code(*, device: TOTPDevice, code: str, now: Any = None) -> CodeCheck:
    """Check a code of a confirmed device, and use it up when it is right."""
    steps = _matching_steps(device.secret, normalise_code(code), now)
    if not steps:
        return CodeCheck.WRONG
    return CodeCheck.OK if _claim_step(device, steps) is not None else CodeCheck.REUSED


@transaction.atomic
def confirm_enrolment(*, actor: Staff, device: TOTPDevice, code: str, now: Any = None) -> CodeCheck:
    """Confirm a pending device with a code from the authenticator; records `two_factor_enrolled`."""
    if device.confirmed_at is not None:
        raise ValueError("the TOTP device is already confirmed")
    steps = _matching_steps(device.secret, normalise_code(code), now)
    if not steps:
        return CodeCheck.WRONG
    confirmed_at = now or timezone.now()
    if _claim_step(device, steps, confirmed_at=confirmed_at) is None:
        return CodeCheck.REUSED
    record_event(
        actor=actor,
        verb="two_factor_enrolled",
        after={"user": actor.get_username(), "method": "totp"},
        note="TOTP authenticator confirmed",
    )
    return CodeCheck.OK


# -- the session's mark ------------------------------------------------------------------------


def mark_verified(session: SessionBase, user: Staff) -> None:
    """Note in `session` that `user` passed the second factor (tests call this after force_login)."""
    session[SESSION_KEY] = str(user.pk)


def is_verified(session: SessionBase, user: Staff) -> bool:
    return session.get(SESSION_KEY) == str(user.pk)


def forget_verified(session: SessionBase) -> None:
    session.pop(SESSION_KEY, None)
