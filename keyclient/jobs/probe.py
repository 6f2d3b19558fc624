"""`jobs.probe`: a job that only counts, to check that a worker runs jobs (and to measure the overhead)."""

from __future__ import annotations

import time
from typing import Any

from keyclient.jobs.runner import JobContext


def probe(
    ctx: JobContext, *, steps: int = 1, pause: float = 0.0, fail_at: int | None = None
) -> dict[str, Any]:
    """Count to `steps`, sleeping `pause` seconds a step; fail at step `fail_at` when given."""
    for step in range(1, steps + 1):
        ctx.progress(step - 1, steps, f"step {step} of {steps}")
        if fail_at == step:
            raise RuntimeError(f"probe failed at step {step}, as asked")
        time.sleep(pause)
    ctx.progress(steps, steps, "done")
    return {"steps": steps}
