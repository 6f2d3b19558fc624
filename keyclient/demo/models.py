"""What the demo itself set up, so its tools touch nothing else (the demo app is absent in production)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyclient.security.models import TOTPDevice


class DemoAuthenticator(models.Model):
    """A TOTP device enrolled by `keyclient demo org` for a printed demo login: the only devices whose
    current code `keyclient demo code` may print. Removing the device (a reset) removes this row."""

    device = models.OneToOneField(
        TOTPDevice,
        verbose_name=_("TOTP device"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="demo_enrolment",
    )
    enrolled_at = models.DateTimeField(_("enrolled"), default=timezone.now)

    class Meta:
        verbose_name = _("demo authenticator")
        verbose_name_plural = _("demo authenticators")
        ordering = ["device_id"]

    def __str__(self) -> str:
        return f"demo authenticator of device {self.device_id}"
