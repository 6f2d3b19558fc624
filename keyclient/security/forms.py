"""The login form (password step, with the lockout) and the two-factor code form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from keyclient.security import lockout
from keyclient.security.models import LoginOutcome
from keyclient.security.network import client_ip
from keyclient.security.totp import DIGITS, normalise_code

LOCKED_MESSAGE = _(
    "Too many failed attempts: logging in with this staff number or from this address is locked. "
    "Try again in %(minutes)s minutes."
)


def locked_error(lock: lockout.Lock) -> ValidationError:
    return ValidationError(LOCKED_MESSAGE, code="locked", params={"minutes": lock.minutes_left()})


class LoginForm(AuthenticationForm):
    """Django's authentication form behind the lockout: a locked staff number or address is refused
    before the password is checked, and every wrong password is recorded."""

    error_messages = {
        **AuthenticationForm.error_messages,
        # One message for a wrong staff number, a wrong password and a disabled account.
        "invalid_login": _("Staff number or password is wrong, or the account is locked."),
        "inactive": _("Staff number or password is wrong, or the account is locked."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data  # the field errors say what is missing
        ip = client_ip(self.request)
        standing = lockout.standing(username, ip)
        if standing.lock is not None:
            lockout.record_refused(username=username, ip=ip, standing=standing)
            raise locked_error(standing.lock)
        try:
            return super().clean()
        except ValidationError:
            lock = lockout.record_failure(
                username=username, ip=ip, outcome=LoginOutcome.WRONG_PASSWORD, standing=standing
            )
            if lock is not None:
                raise locked_error(lock) from None
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if len(code) != DIGITS or not code.isdigit():
            raise ValidationError(_("Enter the 6-digit code shown by your authenticator app."), code="format")
        return code
