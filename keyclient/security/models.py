"""Login hardening records: every login attempt (for lockout and audit) and each user's TOTP device."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyclient.security.fields import EncryptedTextField


class LoginOutcome(models.TextChoices):
    WRONG_PASSWORD = "wrong_password", _("wrong staff number or password")
    WRONG_CODE = "wrong_code", _("wrong or reused two-factor code")
    PASSWORD_OK = "password_ok", _("password accepted, two-factor code pending")
    SUCCEEDED = "succeeded", _("logged in")
    REFUSED = "refused", _("refused while locked")


class LoginAttempt(models.Model):
    """One try to log in, kept for the lockout count and as an audit trail (never deleted by a login).

    `username` is what was typed, whether or not such a user exists, so a lock reveals nothing. The
    attempt that starts a lock carries its end in `user_locked_until` / `ip_locked_until`; a lock
    also ends the failure count it came from (see `keyclient.security.lockout`)."""

    username = models.CharField(_("staff number as typed"), max_length=150)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=20, choices=LoginOutcome.choices)
    succeeded = models.BooleanField(_("logged in"), default=False)
    user_locked_until = models.DateTimeField(_("staff number locked until"), null=True, blank=True)
    ip_locked_until = models.DateTimeField(_("address locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["username", "at"], name="login_attempt_user_at_idx"),
            models.Index(fields=["ip", "at"], name="login_attempt_ip_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(succeeded=False) | Q(outcome=LoginOutcome.SUCCEEDED),
                name="login_attempt_succeeded_matches_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.ip} {self.outcome} {self.at:%Y-%m-%d %H:%M:%S}"


class TOTPDevice(models.Model):
    """A user's authenticator (RFC 6238, 6 digits, 30 s). The secret is encrypted at rest; a device
    counts once `confirmed_at` is set, and `last_used_step` refuses a code that was already used."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="totp_device",
    )
    secret = EncryptedTextField(_("secret"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    last_used_step = models.BigIntegerField(_("last used time step"), null=True, blank=True)

    class Meta:
        verbose_name = _("TOTP device")
        verbose_name_plural = _("TOTP devices")
        ordering = ["user_id"]

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "pending"
        return f"TOTP device of user {self.user_id} ({state})"


class ResetStatus(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    APPROVED = "approved", _("approved: authenticator removed")
    REJECTED = "rejected", _("rejected")


class TwoFactorReset(models.Model):
    """A request to remove a user's lost authenticator, decided by a second administrator.

    The requester gives a reason; a different person with the right approves (the device is deleted
    and the user enrols a new one at the next login) or rejects. At most one request per user awaits
    a decision. Rows are never deleted; users are protected from deletion while they have any."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="two_factor_resets",
    )
    reason = models.CharField(_("reason"), max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=ResetStatus.choices, default=ResetStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("two-factor reset")
        verbose_name_plural = _("two-factor resets")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending"),
                name="two_factor_reset_one_pending_per_user",
            ),
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("requested_by")),
                name="two_factor_reset_second_person",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="two_factor_reset_decision_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"two-factor reset of user {self.user_id} ({self.status})"
