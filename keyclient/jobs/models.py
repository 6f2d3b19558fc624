"""The record of each background job: what ran, for whom, how far it got and how it ended.

django-tasks (with its database backend, `django_tasks_db`) queues and runs the work; `JobRun` is
ours: the kind and parameters (no personal values), the actor, progress, heartbeat, log tail and
error that `/jobs/` and `keyclient jobs` show. A retry is a new `JobRun` pointing at the one it retries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class JobRun(models.Model):
    """One run of a job kind (`intake.load`, `pipeline.run`…) with its parameters."""

    kind = models.CharField(_("kind"), max_length=60)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # A user who started it, or a named job (`actor_name` = "job:nightly") when `actor` is empty.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("actor"), max_length=150)
    retry_of = models.ForeignKey(
        "self",
        verbose_name=_("retry of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retries",
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True, db_index=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True)  # host:pid of the process running it
    progress_done = models.BigIntegerField(_("done"), default=0)
    progress_total = models.BigIntegerField(_("total"), null=True, blank=True)
    step = models.CharField(_("current step"), max_length=200, blank=True)
    enqueued_at = models.DateTimeField(_("queued at"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    log_tail = models.TextField(_("log tail"), blank=True)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-enqueued_at", "-id"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="jobs_run_status_beat_idx"),
            models.Index(fields=["actor", "enqueued_at"], name="jobs_run_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind} {self.status}"

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, int(100 * self.progress_done / self.progress_total))

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class NightlyStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class NightlyRun(models.Model):
    """The nightly chain of one business date: intake, pipeline, prune; one per date, resumed on re-run."""

    date = models.DateField(_("business date"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=NightlyStatus.choices, default=NightlyStatus.RUNNING
    )
    failed_step = models.CharField(_("failed step"), max_length=40, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("nightly run")
        verbose_name_plural = _("nightly runs")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"nightly {self.date} {self.status}"


class NightlyStep(models.Model):
    """One step of a nightly chain, run as a job; a re-run adds a new row for the step it runs again."""

    chain = models.ForeignKey(
        NightlyRun, verbose_name=_("nightly run"), on_delete=models.CASCADE, related_name="steps"
    )
    name = models.CharField(_("step"), max_length=40)
    position = models.PositiveSmallIntegerField(_("position"))
    job = models.OneToOneField(
        JobRun, verbose_name=_("job"), on_delete=models.PROTECT, related_name="nightly_step"
    )

    class Meta:
        verbose_name = _("nightly step")
        verbose_name_plural = _("nightly steps")
        ordering = ["chain", "position", "id"]

    def __str__(self) -> str:
        return f"{self.chain} {self.position}:{self.name}"
