"""Manual tier decisions: an override to a tier, or disqualification of a client who does not merit
their tier. Each needs a reason and a second person's approval (see `valuation.services`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.customers.choices import Tier
from keyclient.valuation.choices import OverrideKind, OverrideStatus

OPEN = (OverrideStatus.PENDING, OverrideStatus.APPROVED)


class TierOverride(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="tier_overrides",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=OverrideKind.choices)
    tier = models.CharField(_("tier"), max_length=30, choices=Tier.choices, blank=True)
    tier_before = models.CharField(_("tier before"), max_length=30, choices=Tier.choices, blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=OverrideStatus.choices, default=OverrideStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier override")
        verbose_name_plural = _("tier overrides")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open decision per client: a second request waits until the first is decided or ended.
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(status__in=OPEN), name="tier_override_one_open"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="disqualify") | ~models.Q(tier=""), name="tier_override_has_tier"
            ),
        ]
        indexes = [models.Index(fields=["status", "-requested_at"], name="tier_override_status_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.tier} ({self.status})"
