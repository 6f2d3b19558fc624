"""A client served at another tier's service level than their own, granted by head office."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.customers.choices import Tier


class ServiceLevelGrant(models.Model):
    """Head office grants a client the service level of another tier (e.g. a diamond client served
    as private banking while a family office moves its assets), with a reason. The client's tier does
    not change; `service_levels.service_level_for` reads the grant until it is ended."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="service_level_grants",
    )
    tier = models.CharField(_("served at the level of"), max_length=30, choices=Tier.choices)
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("granted by"), on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ended by"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("why ended"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("service level grant")
        verbose_name_plural = _("service level grants")
        ordering = ["-granted_at", "-id"]
        constraints = [
            # One grant in force per client: a new one ends the old one first.
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(ended_at__isnull=True),
                name="service_level_grant_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.tier}"
