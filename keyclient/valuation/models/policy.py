"""The tier policy: versioned rules, edited as a draft by head office and published."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.valuation.choices import PolicyStatus


class TierPolicy(models.Model):
    """One version of the tier rules (thresholds, score weights, CLV parameters; see `valuation.policy`).

    Exactly one version is published at a time; a published version is never edited again: changing
    the rules means a new draft, a what-if against current data, then publishing it."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    rules = models.JSONField(_("rules"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    created_at = models.DateTimeField(_("drafted"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="published"), name="tier_policy_one_published"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.get_status_display()})"
