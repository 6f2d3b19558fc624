"""Capacity norms: how many clients of which tiers an RM of each grade serves, in versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.capacity.choices import NormsStatus


class CapacityNorms(models.Model):
    """One version of the norms (`rules["norms"]`: grade, tiers, max and min clients; see
    `keyclient.capacity.norms`). Exactly one version is published at a time and a published version
    is never edited: a change is a new draft, then publishing it retires the previous one."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=NormsStatus.choices, default=NormsStatus.DRAFT
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
        verbose_name = _("capacity norms")
        verbose_name_plural = _("capacity norms")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="published"), name="capacity_norms_one_published"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.get_status_display()})"
