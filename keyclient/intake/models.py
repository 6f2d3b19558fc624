"""The record of each intake load, shown in the UI."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IntakeJob(models.Model):
    """One `keyclient intake load`: what was read, accepted and rejected, and how it ended."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    load_date = models.DateField(_("load date"))
    source = models.CharField(_("source directory"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    actor_name = models.CharField(_("actor"), max_length=150)
    rows_read = models.BigIntegerField(_("rows read"), default=0)
    rows_accepted = models.BigIntegerField(_("rows accepted"), default=0)
    rows_rejected = models.BigIntegerField(_("rows rejected"), default=0)
    counts = models.JSONField(_("counts per extract"), default=dict, blank=True)
    reject_summary = models.JSONField(_("reject summary"), default=list, blank=True)
    reject_file = models.CharField(_("reject file"), max_length=500, blank=True)
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("intake job")
        verbose_name_plural = _("intake jobs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["load_date", "status"], name="intake_job_date_status_idx")]

    def __str__(self) -> str:
        return f"intake {self.load_date} {self.status}"
