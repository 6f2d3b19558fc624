"""Job overhead: how long a queued job waits for an idle worker to start it (budget < 2 s).

    .venv/bin/python bench/jobs.py [--jobs 20] [--postgres] [--interval 0.5] [--json out.json]

A fresh database (SQLite in a temp dir, or a throwaway PostgreSQL with `--postgres`) is migrated, one
`keyclient worker` is started and left idle; then, one at a time with an idle pause between them, this
process queues a `jobs.probe` job (`start_job`, as the UI and the CLI do) and polls until the worker
has started it. Reported: queue → start from the job record's own timestamps (`enqueued_at` →
`started_at`), and the wall time seen by the caller (queue call → the record says running).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    KEYCLIENT,
    RESULTS,
    ROOT,
    ThrowawayPostgres,
    app_env,
    keyclient,
    machine,
    summary,
    write_json,
)


def measure(count: int, interval: float, database_url: str, var_dir: Path) -> dict[str, object]:
    env = app_env(database_url, var_dir, KEYCLIENT_LAKE_DIR=str(var_dir / "lake"))
    keyclient(["migrate", "--no-input", "-v", "0"], env)
    os.environ.update(env)
    import django

    django.setup()
    from keyclient.audit.actors import Job
    from keyclient.jobs.models import JobRun
    from keyclient.jobs.services import start_job

    worker = subprocess.Popen(
        [str(KEYCLIENT), "worker", "--interval", str(interval), "-v", "0"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    recorded, seen = [], []
    try:
        for n in range(count + 1):  # the first job warms the worker up and is not counted
            time.sleep(random.uniform(0.5, 1.5) if n else 0)  # idle a while, like a quiet worker
            started = time.perf_counter()
            run = start_job(actor=Job("bench"), kind="jobs.probe", parameters={})
            while True:
                row = JobRun.objects.values("status", "enqueued_at", "started_at").get(pk=run.pk)
                if row["started_at"] is not None:
                    break
                if time.perf_counter() - started > 120:
                    raise RuntimeError("the worker did not start the job within 120 s")
                time.sleep(0.005)
            if n:
                seen.append((time.perf_counter() - started) * 1000)
                recorded.append((row["started_at"] - row["enqueued_at"]).total_seconds() * 1000)
    finally:
        worker.terminate()
        worker.wait(30)
    return {"recorded_queue_to_start": summary(recorded), "caller_queue_to_running": summary(seen)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5, help="the worker's idle poll (its default)")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL instead of SQLite")
    parser.add_argument("--json", type=Path, default=RESULTS / "jobs.json")
    args = parser.parse_args(argv)
    before = machine()
    with tempfile.TemporaryDirectory(prefix="kc-bench-jobs-") as tmp:
        var_dir = Path(tmp) / "var"
        var_dir.mkdir()
        if args.postgres:
            pg = ThrowawayPostgres().start()
            try:
                pg.wait_ready()
                pg.ensure_database("keyclient")
                figures = measure(args.jobs, args.interval, pg.url("keyclient"), var_dir)
            finally:
                pg.stop()
        else:
            figures = measure(args.jobs, args.interval, f"sqlite:///{var_dir / 'bench.sqlite3'}", var_dir)
    database = "postgresql" if args.postgres else "sqlite"
    print(f"job overhead on an idle worker ({database}, poll every {args.interval} s, {args.jobs} jobs)")
    print(f"{'measure':<28}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, s in figures.items():
        print(f"{name:<28}{s['p50_ms']:>10}{s['p95_ms']:>10}{s['max_ms']:>10}")
    budget_ok = all(s["p95_ms"] < 2000 for s in figures.values())
    print(f"budget < 2 s (p95): {'met' if budget_ok else 'MISSED'}")
    path = write_json(
        args.json,
        {"database": database, "interval_s": args.interval, "jobs": args.jobs, **figures,
         "budget_ms": 2000, "budget_met": budget_ok, "machine_before": before, "machine_after": machine()},
    )  # fmt: skip
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
