"""A handover (交接): an RM's whole book moved to another RM when they leave or change role, with a
pack per client and an introduction task for the new RM; `report` says what moved and what is left."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Handover(models.Model):
    from_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("from RM"), on_delete=models.PROTECT, related_name="+"
    )
    to_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("to RM"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handed over by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    report = models.JSONField(_("report"), default=dict)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_rm_id}->{self.to_rm_id} ({self.created_at:%Y-%m-%d})"


class HandoverItem(models.Model):
    """One client of a handover: its pack (the sections of `settings.KEYCLIENT_HANDOVER_SECTIONS`,
    as they stood before the move) and the new RM's introduction task."""

    handover = models.ForeignKey(
        Handover, verbose_name=_("handover"), on_delete=models.CASCADE, related_name="items"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    pack = models.JSONField(_("handover pack"), default=dict)
    task = models.ForeignKey(
        "engagement.Task", verbose_name=_("introduction task"), on_delete=models.SET_NULL, related_name="+",
        null=True, blank=True,
    )  # fmt: skip

    class Meta:
        verbose_name = _("handover item")
        verbose_name_plural = _("handover items")
        ordering = ["handover", "customer"]
        constraints = [models.UniqueConstraint(fields=["handover", "customer"], name="handover_item_unique")]

    def __str__(self) -> str:
        return f"{self.handover_id}: {self.customer_id}"
