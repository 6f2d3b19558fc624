"""The nightly run of one business date: intake of the date's extracts from the inbox, the pipeline
for the date, then prune. Each step is a job (`JobRun`) linked to the date's `NightlyRun`.

- The extracts come from `<KEYCLIENT_INBOX_DIR>/<date>/` (e.g. `inbox/2026-11-30/customers.csv`).
- On a month end the pipeline step is `valuation.month_end`: the month end's pipeline run values and
  tiers every client itself (`pipeline.services.run_date`), so valuation is not a step of its own and
  never runs twice.
- One chain runs at a time (the `nightly` batch lock).
- The chain stops at the first failing step and records its name and error; the steps after it are
  not run. Running the chain for the same date again resumes: steps already done are skipped and the
  failed step runs again as a retry of its failed job.

The steps run in the calling process (`keyclient nightly`, or the worker running a `nightly.run` job),
one after the other; each is claimed and recorded like any job, so `/jobs/` shows them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from keyclient.audit.actors import Actor, Job, actor_columns
from keyclient.audit.services import record_event
from keyclient.jobs.locks import batch_lock
from keyclient.jobs.models import JobRun, JobStatus, NightlyRun, NightlyStatus, NightlyStep
from keyclient.jobs.runner import execute
from keyclient.jobs.services import _check_parameters

logger = logging.getLogger("keyclient.jobs.nightly")
NIGHTLY = Job("nightly")


@dataclass(frozen=True)
class Step:
    name: str
    kind: str
    parameters: dict[str, Any]


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def inbox_for(day: date) -> Path:
    inbox = settings.KEYCLIENT_INBOX_DIR
    if not inbox:
        raise ImproperlyConfigured("KEYCLIENT_INBOX_DIR is not set: the nightly run reads its extracts there")
    return Path(inbox) / day.isoformat()


def steps_for(day: date, *, engine: str = "duckdb") -> list[Step]:
    """The chain of `day`, in order."""
    pipeline = (
        Step("month_end", "valuation.month_end", {"date": day.isoformat(), "engine": engine})
        if is_month_end(day)
        else Step("pipeline", "pipeline.run", {"date": day.isoformat(), "engine": engine})
    )
    return [
        Step("intake", "intake.load", {"source": str(inbox_for(day)), "date": day.isoformat()}),
        pipeline,
        Step("prune", "pipeline.prune", {}),
    ]


def _run_step(
    *, actor: Actor, chain: NightlyRun, position: int, step: Step, retry_of: JobRun | None
) -> JobRun:
    """Record the step's job and run it here; returns the finished `JobRun` (done or failed)."""
    who = actor_columns(actor)
    run = JobRun.objects.create(
        kind=step.kind,
        parameters=_check_parameters(step.parameters),
        actor_id=who["actor_id"],
        actor_name=who["actor_name"],
        retry_of=retry_of,
        enqueued_at=timezone.now(),
    )
    NightlyStep.objects.create(chain=chain, name=step.name, position=position, job=run)
    record_event(
        actor=actor,
        verb="job.retried" if retry_of else "job.started",
        after={"job": run.pk, "kind": step.kind, "parameters": run.parameters, "nightly": str(chain.date)},
    )
    try:
        execute(run.pk)
    except Exception:  # recorded on the run by `execute`; the chain stops here
        logger.warning("nightly %s: step %s (job %s) failed", chain.date, step.name, run.pk)
    run.refresh_from_db()
    return run


def run_nightly(*, actor: Actor = NIGHTLY, day: date, engine: str = "duckdb") -> NightlyRun:
    """Run (or resume) the chain of `day`; returns its record, done or failed at a named step.

    One chain at a time (the `nightly` batch lock): a second start, from cron or a worker, fails
    clearly before writing anything instead of failing the running chain's steps on their locks."""
    steps = steps_for(day, engine=engine)
    with batch_lock("nightly"):
        return _run_chain(actor=actor, day=day, steps=steps)


def _run_chain(*, actor: Actor, day: date, steps: list[Step]) -> NightlyRun:
    chain, _created = NightlyRun.objects.get_or_create(date=day, defaults={"started_at": timezone.now()})
    if chain.status == NightlyStatus.DONE:
        logger.info("nightly %s: done already", day)
        return chain
    NightlyRun.objects.filter(pk=chain.pk).update(
        status=NightlyStatus.RUNNING, failed_step="", error="", attempts=chain.attempts + 1, finished_at=None
    )
    chain.refresh_from_db()
    record_event(actor=actor, verb="nightly.started", after={"date": str(day), "attempt": chain.attempts})
    for position, step in enumerate(steps, start=1):
        last = chain.steps.filter(name=step.name).select_related("job").order_by("-id").first()
        if last is not None and last.job.status == JobStatus.DONE:
            logger.info("nightly %s: step %s done already (job %s): skipped", day, step.name, last.job_id)
            continue
        retry_of = last.job if last is not None and last.job.status == JobStatus.FAILED else None
        run = _run_step(actor=actor, chain=chain, position=position, step=step, retry_of=retry_of)
        if run.status != JobStatus.DONE:
            error = run.error.strip().splitlines()[-1] if run.error.strip() else "the job did not finish"
            NightlyRun.objects.filter(pk=chain.pk).update(
                status=NightlyStatus.FAILED, failed_step=step.name, error=error, finished_at=timezone.now()
            )
            record_event(
                actor=actor,
                verb="nightly.failed",
                after={"date": str(day), "step": step.name, "job": run.pk},
            )
            chain.refresh_from_db()
            return chain
    NightlyRun.objects.filter(pk=chain.pk).update(status=NightlyStatus.DONE, finished_at=timezone.now())
    record_event(actor=actor, verb="nightly.done", after={"date": str(day)})
    chain.refresh_from_db()
    return chain


def job(ctx: Any, *, date: str, engine: str = "duckdb") -> dict[str, Any]:
    """The `nightly.run` job kind (schedule it, or start it from `keyclient jobs start`)."""
    from datetime import date as Date

    chain = run_nightly(actor=ctx.actor, day=Date.fromisoformat(date), engine=engine)
    if chain.status != NightlyStatus.DONE:
        raise NightlyFailed(f"nightly {chain.date} stopped at step {chain.failed_step}: {chain.error}")
    return {"date": date, "nightly": chain.pk, "status": chain.status}


class NightlyFailed(RuntimeError):
    """A step of the chain failed (the chain record names it)."""
