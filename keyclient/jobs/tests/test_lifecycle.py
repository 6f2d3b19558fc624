"""A job's lifecycle on the database under test: queued, running with progress, done, failed, retried."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from keyclient.audit.actors import Job
from keyclient.audit.models import BusinessEvent
from keyclient.jobs.models import JobRun
from keyclient.jobs.registry import UnknownJobKind
from keyclient.jobs.runner import execute
from keyclient.jobs.services import retry_job, start_job

KINDS = {"test.observe": "keyclient.jobs.tests.kinds.observe"}


@pytest.fixture
def kinds(settings):  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_JOB_KINDS = {**settings.KEYCLIENT_JOB_KINDS, **KINDS}
    settings.KEYCLIENT_JOB_HEARTBEAT_SECONDS = 0.02


@pytest.mark.django_db(transaction=True)
def test_a_job_is_queued_runs_with_progress_and_is_done(kinds) -> None:
    run = start_job(actor=Job("nightly"), kind="test.observe", parameters={})
    run.refresh_from_db()
    assert (run.status, run.actor_id, run.actor_name, run.retry_of_id) == (
        "queued",
        None,
        "job:nightly",
        None,
    )
    task = DBTaskResult.objects.get(id=run.task_id)
    assert (task.status, task.task_path, task.args_kwargs) == (
        TaskResultStatus.READY, "keyclient.jobs.tasks.run_job", {"args": [run.pk], "kwargs": {}}
    )  # fmt: skip
    assert list(BusinessEvent.objects.filter(verb="job.started").values_list("actor_name", "after")) == [
        ("job:nightly", {"job": run.pk, "kind": "test.observe", "parameters": {}})
    ]

    result = execute(run.pk)

    # While it ran, the record said so, with the progress the runner reported (written by the reporter).
    assert result == {"status": "running", "done": 1, "total": 3, "step": "first third"}
    run.refresh_from_db()
    assert (run.status, run.progress_done, run.progress_total, run.step, run.error) == (
        "done",
        3,
        3,
        "done",
        "",
    )
    assert run.result == result
    assert run.started_at <= run.finished_at and run.heartbeat_at is not None
    assert f"job {run.pk}: test.observe {{}}" in run.log_tail
    assert execute(run.pk) == {"skipped": True}  # a second delivery never runs it twice


@pytest.mark.django_db(transaction=True)
def test_a_failed_job_keeps_its_error_and_a_retry_runs_the_same_parameters(settings) -> None:
    settings.KEYCLIENT_JOB_HEARTBEAT_SECONDS = 0.02
    run = start_job(actor=Job("nightly"), kind="jobs.probe", parameters={"steps": 3, "fail_at": 2})
    with pytest.raises(RuntimeError, match="probe failed at step 2"):
        execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.progress_done, run.progress_total, run.step) == ("failed", 1, 3, "step 2 of 3")
    assert "RuntimeError: probe failed at step 2, as asked" in run.error
    assert run.finished_at is not None

    again = retry_job(actor=Job("operator"), run=run)
    assert (again.kind, again.parameters, again.retry_of_id, again.status) == (
        "jobs.probe", {"steps": 3, "fail_at": 2}, run.pk, "queued"
    )  # fmt: skip
    assert BusinessEvent.objects.filter(verb="job.retried", actor_name="job:operator").count() == 1
    with pytest.raises(RuntimeError):
        execute(again.pk)  # the same parameters, the same failure
    # A done job is not retried (nothing is queued).
    done = start_job(actor=Job("nightly"), kind="jobs.probe", parameters={"steps": 1})
    execute(done.pk)
    count = JobRun.objects.count()
    with pytest.raises(PermissionDenied):
        retry_job(actor=Job("operator"), run=JobRun.objects.get(pk=done.pk))
    assert JobRun.objects.count() == count


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "parameters", "error"),
    [
        ("no.such", {}, UnknownJobKind),
        ("jobs.probe", {"mobile": "13800001234"}, ValidationError),
        ("jobs.probe", {"id": "110108198001011235"}, ValidationError),
    ],
)
def test_an_unknown_kind_or_personal_parameters_queue_nothing(kind, parameters, error) -> None:
    with pytest.raises(error):
        start_job(actor=Job("nightly"), kind=kind, parameters=parameters)
    assert (JobRun.objects.count(), DBTaskResult.objects.count()) == (0, 0)
    assert not BusinessEvent.objects.filter(verb__startswith="job.").exists()


@pytest.mark.django_db
def test_the_reaper_fails_the_jobs_of_dead_workers_only(settings) -> None:
    import socket
    import subprocess
    import sys
    from datetime import timedelta

    from django.utils import timezone

    from keyclient.jobs.runner import claim, worker_label
    from keyclient.jobs.services import reap

    settings.KEYCLIENT_JOB_HEARTBEAT_TIMEOUT_SECONDS = 60
    runs = {k: start_job(actor=Job("nightly"), kind="jobs.probe", parameters={}) for k in "abcde"}
    for run in runs.values():
        claim(run.pk)
        DBTaskResult.objects.filter(id=run.task_id).update(status=TaskResultStatus.RUNNING)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    old, fresh = timezone.now() - timedelta(seconds=120), timezone.now()
    workers = {
        "a": ("elsewhere:4242", old),  # another machine, silent for two minutes: dead
        "b": ("elsewhere:4243", fresh),  # another machine, beating: alive
        "c": (worker_label(), old),  # this process: alive, though its heartbeat is held up
        "d": (f"{socket.gethostname()}:{gone.pid}", fresh),  # a process of this machine that exited: dead
        "e": ("elsewhere:4244", None),  # claimed, never beat
    }
    for key, (worker, beat) in workers.items():
        JobRun.objects.filter(pk=runs[key].pk).update(worker=worker, heartbeat_at=beat)

    assert sorted(r.pk for r in reap()) == [runs[k].pk for k in "ade"]
    status = {k: JobRun.objects.get(pk=r.pk).status for k, r in runs.items()}
    assert status == {"a": "failed", "b": "running", "c": "running", "d": "failed", "e": "failed"}
    assert JobRun.objects.get(pk=runs["a"].pk).error.startswith("the worker elsewhere:4242 stopped")
    tasks = {k: DBTaskResult.objects.get(id=r.task_id).status for k, r in runs.items()}
    assert tasks == {k: TaskResultStatus.FAILED if k in "ade" else TaskResultStatus.RUNNING for k in runs}
    assert (
        list(BusinessEvent.objects.filter(verb="job.reaped").values_list("actor_name", flat=True))
        == ["job:jobs.reaper"] * 3
    )
    assert reap() == []
