"""The intake's job kind (`settings.KEYCLIENT_JOB_KINDS`): `intake.load`, a run of `load_extracts`.

A load is re-runnable: a retry after a crash cleans up what the dead run left and loads again.
A load that fails with rejected lines (over the reject threshold) still names its intake job in the
run's result, so the job's page leads to the rejects that made it fail."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.utils import timezone

from keyclient.intake.models import IntakeJob
from keyclient.intake.services import DEFAULT_MAX_REJECT_RATE, load_extracts
from keyclient.jobs.models import JobRun
from keyclient.jobs.runner import JobContext


def load(
    ctx: JobContext,
    *,
    source: str,
    date: str,
    mapping: str = "",
    history: bool = False,
    max_reject_rate: float = DEFAULT_MAX_REJECT_RATE,
) -> dict[str, Any]:
    since = timezone.now()
    try:
        job = load_extracts(
            actor=ctx.actor,
            source=Path(source),
            load_date=_day(date),
            mapping_path=Path(mapping) if mapping else None,
            history=history,
            max_reject_rate=max_reject_rate,
        )
    except Exception:
        # One load at a time (the `intake` batch lock): the load of this source started since is this one.
        failed = (
            IntakeJob.objects.filter(source=source[:500], load_date=_day(date), started_at__gte=since)
            .order_by("-id")
            .first()
        )
        if failed is not None and failed.rows_rejected:
            JobRun.objects.filter(pk=ctx.run_id).update(result=_summary(failed))
        raise
    return _summary(job)


def _summary(job: IntakeJob) -> dict[str, Any]:
    return {
        "intake_job": job.pk,
        "read": job.rows_read,
        "accepted": job.rows_accepted,
        "rejected": job.rows_rejected,
        "reject_file": job.reject_file if job.rows_rejected else "",
    }


def _day(text: str) -> date:
    return date.fromisoformat(text)
