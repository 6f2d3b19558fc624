"""The intake's job kind (`settings.KEYCLIENT_JOB_KINDS`): `intake.load`, a run of `load_extracts`.

A load is re-runnable: a retry after a crash cleans up what the dead run left and loads again."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from keyclient.intake.services import DEFAULT_MAX_REJECT_RATE, load_extracts
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
    job = load_extracts(
        actor=ctx.actor,
        source=Path(source),
        load_date=_day(date),
        mapping_path=Path(mapping) if mapping else None,
        history=history,
        max_reject_rate=max_reject_rate,
    )
    return {
        "intake_job": job.pk,
        "read": job.rows_read,
        "accepted": job.rows_accepted,
        "rejected": job.rows_rejected,
        "reject_file": job.reject_file if job.rows_rejected else "",
    }


def _day(text: str) -> date:
    return date.fromisoformat(text)
