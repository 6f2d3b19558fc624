"""Running one job inside a worker: claim it, report progress and a heartbeat, keep the log tail,
record how it ended.

The reporter is a thread with its own database connection: progress and heartbeat are written
outside the job's own transactions (a pipeline run writes a date in one transaction; its progress
must show while it runs), every `KEYCLIENT_JOB_HEARTBEAT_SECONDS`. A failed write (SQLite busy
under a long write transaction) is skipped; the next beat tries again.
"""

from __future__ import annotations

import collections
import logging
import os
import socket
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone

from keyclient.audit.actors import Actor, Job
from keyclient.core.progress import reporting_to
from keyclient.jobs.models import JobRun, JobStatus
from keyclient.jobs.registry import runner
from keyclient.security.logfilter import redact

logger = logging.getLogger("keyclient.jobs")


def worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class JobContext:
    """What a runner gets: the run's id and kind, and `progress` / `log` to say how it is going."""

    def __init__(self, run: JobRun) -> None:
        self.run_id, self.kind = run.pk, run.kind
        # The services' actor: the user who started the run, or the named job it runs for.
        self.actor: Actor = run.actor or Job(run.actor_name.removeprefix("job:"))
        self.done, self.total, self.step = 0, run.progress_total, ""
        self.lines: collections.deque[str] = collections.deque(maxlen=settings.KEYCLIENT_JOB_LOG_LINES)
        self.lock = threading.Lock()
        self.version = 0

    def progress(self, done: int, total: int | None = None, step: str = "") -> None:
        with self.lock:
            self.done, self.total = done, total if total is not None else self.total
            if step:
                self.step = step[:200]
            self.version += 1

    def log(self, message: str) -> None:
        logger.info("%s", message)

    def add_line(self, line: str) -> None:
        with self.lock:
            self.lines.append(redact(line)[:1000])
            self.version += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "progress_done": self.done,
                "progress_total": self.total,
                "step": self.step,
                "log_tail": "\n".join(self.lines),
            }


class _TailHandler(logging.Handler):
    """Copies the log records of the job's thread into the run's log tail."""

    def __init__(self, ctx: JobContext) -> None:
        super().__init__(logging.INFO)
        self.ctx, self.thread = ctx, threading.get_ident()
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.ctx.add_line(self.format(record))


class _Reporter(threading.Thread):
    def __init__(self, ctx: JobContext) -> None:
        super().__init__(name=f"job-{ctx.run_id}-reporter", daemon=True)
        self.ctx, self.stopping = ctx, threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.wait(settings.KEYCLIENT_JOB_HEARTBEAT_SECONDS):
                self.beat()
        finally:
            connections.close_all()  # this thread's connections only

    def beat(self) -> None:
        try:
            JobRun.objects.filter(pk=self.ctx.run_id, status=JobStatus.RUNNING).update(
                heartbeat_at=timezone.now(), **self.ctx.snapshot()
            )
        except DatabaseError as exc:  # e.g. SQLite busy under the job's own long write
            logger.debug("job %s: heartbeat skipped (%s)", self.ctx.run_id, exc)


@contextmanager
def _reporting(ctx: JobContext) -> Iterator[None]:
    handler = _TailHandler(ctx)
    root = logging.getLogger()
    root.addHandler(handler)
    reporter = _Reporter(ctx)
    reporter.start()
    try:
        with reporting_to(ctx.progress):
            yield
    finally:
        reporter.stopping.set()
        reporter.join()
        root.removeHandler(handler)


def claim(run_id: int) -> JobRun | None:
    """Mark the run started by this process; None when another worker has it (or it is not queued)."""
    now = timezone.now()
    claimed = JobRun.objects.filter(pk=run_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, worker=worker_label()
    )
    return JobRun.objects.get(pk=run_id) if claimed else None


def execute(run_id: int) -> dict[str, Any]:
    """Run the queued job `run_id` to its end (the django-tasks task calls this in the worker)."""
    run = claim(run_id)
    if run is None:
        logger.warning("job %s is not queued any more (run elsewhere, or reaped): skipped", run_id)
        return {"skipped": True}
    ctx = JobContext(run)
    logger.info("job %s (%s) started by %s", run.pk, run.kind, run.actor_name)
    try:
        with _reporting(ctx):
            ctx.log(f"job {run.pk}: {run.kind} {run.parameters}")
            result = runner(run.kind)(ctx, **run.parameters) or {}
            ctx.log(f"job {run.pk}: done {result}")
    except BaseException as exc:
        error = redact("".join(traceback.format_exception(exc))[-8000:])
        JobRun.objects.filter(pk=run.pk).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), heartbeat_at=timezone.now(),
            error=error, **ctx.snapshot(),
        )  # fmt: skip
        raise
    JobRun.objects.filter(pk=run.pk).update(
        status=JobStatus.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now(),
        result=result, **ctx.snapshot(),
    )  # fmt: skip
    return result
