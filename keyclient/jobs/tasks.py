"""The one django-tasks task: run a `JobRun` (its kind decides what runs; see `registry`)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from keyclient.jobs.runner import execute


@task()
def run_job(run_id: int) -> dict[str, Any]:
    return execute(run_id)
