"""Starting, retrying and reaping jobs; who sees which job.

- `start_job(*, actor, kind, parameters)`: record a `JobRun` and queue its task, in one transaction.
- `retry_job(*, actor, run)`: a failed run again, same kind and parameters, as a new run.
- `reap()`: runs whose worker died (its process on this machine is gone; a worker on another machine:
  no heartbeat for `KEYCLIENT_JOB_HEARTBEAT_TIMEOUT_SECONDS`) become failed, never "running" forever. The worker
  runs it at start and periodically; `keyclient jobs list` and `/jobs/` run it too.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from keyclient.audit.actors import Actor, Job, Viewer, actor_columns
from keyclient.audit.services import record_event
from keyclient.jobs.locks import on_this_machine, process_gone
from keyclient.jobs.models import JobRun, JobStatus
from keyclient.jobs.registry import runner
from keyclient.security.logfilter import redact
from keyclient.security.roles import Role

# Roles that see every job (and may retry any); everyone else sees the jobs they started.
SEE_ALL = frozenset({Role.ADMINISTRATOR, Role.HEAD_OFFICE})
REAPER = Job("jobs.reaper")


def sees_all(user: Viewer | Job) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", "") in SEE_ALL


def visible_runs(user: Viewer) -> QuerySet[JobRun]:
    """The runs `user` may see: all for administrators and head office, otherwise their own."""
    runs = JobRun.objects.select_related("actor")
    if sees_all(user):
        return runs
    if not user.is_authenticated:
        return runs.none()
    return runs.filter(actor_id=user.pk)


def access_run(user: Viewer, pk: int) -> JobRun:
    """The run `pk` if `user` may see it; 404 otherwise (a URL does not confirm that a job exists)."""
    try:
        return visible_runs(user).get(pk=pk)
    except JobRun.DoesNotExist:
        raise Http404 from None


def may_retry(actor: Viewer | Job, run: JobRun) -> bool:
    if run.status != JobStatus.FAILED:
        return False
    if isinstance(actor, Job):
        return True  # an operator at the terminal, or the nightly chain
    return sees_all(actor) or (run.actor_id is not None and run.actor_id == getattr(actor, "pk", None))


def _check_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    try:
        text = json.dumps(parameters, sort_keys=True)
    except TypeError as exc:
        raise ValidationError(f"job parameters must be JSON: {exc}") from exc
    if redact(text) != text:
        raise ValidationError("job parameters must not carry personal values (an ID or mobile number)")
    checked: dict[str, Any] = json.loads(text)
    return checked


@transaction.atomic
def start_job(
    *, actor: Actor, kind: str, parameters: dict[str, Any] | None = None, retry_of: JobRun | None = None
) -> JobRun:
    """Record a run of `kind` and queue it; the worker picks it up once this transaction commits."""
    from keyclient.jobs.tasks import run_job

    runner(kind)  # an unknown kind fails here, not in the worker
    params = _check_parameters(parameters or {})
    who = actor_columns(actor)
    run = JobRun.objects.create(
        kind=kind,
        parameters=params,
        actor_id=who["actor_id"],
        actor_name=who["actor_name"],
        retry_of=retry_of,
        enqueued_at=timezone.now(),
    )
    result = run_job.enqueue(run.pk)
    run.task_id = str(result.id)
    run.save(update_fields=["task_id"])
    record_event(
        actor=actor,
        verb="job.retried" if retry_of else "job.started",
        after={
            "job": run.pk,
            "kind": kind,
            "parameters": params,
            **({"retry_of": retry_of.pk} if retry_of else {}),
        },
    )
    return run


def retry_job(*, actor: Actor, run: JobRun) -> JobRun:
    """Queue `run` again with the same kind and parameters (the owner, an administrator or head office)."""
    if not may_retry(actor, run):
        raise PermissionDenied(
            "only a failed job is retried, by the person who started it or an administrator"
        )
    return start_job(actor=actor, kind=run.kind, parameters=run.parameters, retry_of=run)


def reap(*, now: datetime | None = None) -> list[JobRun]:
    """Mark failed every running job whose worker is dead; returns them."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.KEYCLIENT_JOB_HEARTBEAT_TIMEOUT_SECONDS)
    reaped = []
    for run in JobRun.objects.filter(status=JobStatus.RUNNING):
        # On this machine the worker's process says it all (a long SQLite write can hold the heartbeat
        # up, a live process is still running the job); a worker elsewhere is judged by its heartbeat.
        if on_this_machine(run.worker):
            if not process_gone(run.worker):
                continue
        elif run.heartbeat_at and run.heartbeat_at >= stale_before:
            continue
        reason = (
            f"the worker {run.worker} stopped while running this job"
            f" (last heartbeat {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC); retry it to run it again"
            if run.heartbeat_at
            else f"the worker {run.worker} stopped while running this job; retry it to run it again"
        )
        with transaction.atomic():
            done = JobRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(
                status=JobStatus.FAILED, finished_at=now, error=reason
            )
            if not done:
                continue
            _fail_task(run.task_id, reason)
            record_event(
                actor=REAPER, verb="job.reaped", after={"job": run.pk, "kind": run.kind, "worker": run.worker}
            )
        run.refresh_from_db()
        reaped.append(run)
    return reaped


def _fail_task(task_id: str, reason: str) -> None:
    """django-tasks' own row of a reaped run: failed too, not running forever."""
    if not task_id:
        return
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path="keyclient.jobs.WorkerLost",
        traceback=reason,
    )
