"""The pipeline's job kinds (`settings.KEYCLIENT_JOB_KINDS`): `pipeline.run`, `pipeline.backfill`,
`pipeline.prune` and `valuation.month_end` (a month end's pipeline run, which values and tiers every
client). Each is re-runnable: a date's run replaces that date's rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from keyclient.jobs.runner import JobContext
from keyclient.pipeline.engine import PipelineError
from keyclient.pipeline.retention import is_month_end
from keyclient.pipeline.retention import prune as prune_daily
from keyclient.pipeline.services import backfill as backfill_dates
from keyclient.pipeline.services import run_date


def run(ctx: JobContext, *, date: str, engine: str = "duckdb") -> dict[str, Any]:
    day = _day(date)
    ctx.progress(0, 1, f"pipeline {day}")
    counts = run_date(day, engine_name=engine, actor=ctx.actor)
    ctx.progress(1, 1, f"pipeline {day}")
    return {"date": str(day), **counts}


def backfill(
    ctx: JobContext, *, first: str, last: str, engine: str = "duckdb", month_ends: bool = False
) -> dict[str, Any]:
    days = backfill_dates(_day(first), _day(last), engine_name=engine, month_ends=month_ends)
    return {"dates": len(days), "first": first, "last": last}


def prune(ctx: JobContext, *, keep_days: int | None = None, dry_run: bool = False) -> dict[str, Any]:
    pruned = prune_daily(keep_days=keep_days, dry_run=dry_run, actor=ctx.actor)
    return {
        "before": str(pruned.before) if pruned.before else None,
        "daily_rows": pruned.daily_rows,
        "bank_outflow_rows": pruned.bank_outflow_rows,
        "dates": len(pruned.dates),
        "dry_run": dry_run,
    }


def month_end(ctx: JobContext, *, date: str, engine: str = "duckdb") -> dict[str, Any]:
    day = _day(date)
    if not is_month_end(day):
        raise PipelineError(f"{day} is not a month end")
    return run(ctx, date=date, engine=engine)


def _day(text: str) -> date:
    return date.fromisoformat(text)
