"""Facts about a client's public standing that RMs maintain, each with its evidence (知名度)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.valuation.choices import ProminenceKind


class ProminenceFact(models.Model):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="prominence_facts",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ProminenceKind.choices)
    evidence = models.CharField(_("evidence"), max_length=500)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("prominence fact")
        verbose_name_plural = _("prominence facts")
        ordering = ["customer", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind}"
