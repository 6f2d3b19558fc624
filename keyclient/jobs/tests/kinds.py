"""Job kinds used only by the tests (added to `settings.KEYCLIENT_JOB_KINDS` by the tests that need them)."""

from __future__ import annotations

import time
from typing import Any

from keyclient.jobs.models import JobRun
from keyclient.jobs.runner import JobContext


def observe(ctx: JobContext) -> dict[str, Any]:
    """Report progress, wait for the reporter to write it, and return what the record showed meanwhile."""
    ctx.progress(1, 3, "first third")
    seen = {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        run = JobRun.objects.get(pk=ctx.run_id)
        if run.progress_done == 1:
            seen = {
                "status": run.status,
                "done": run.progress_done,
                "total": run.progress_total,
                "step": run.step,
            }
            break
        time.sleep(0.02)
    ctx.progress(3, 3, "done")
    return seen
