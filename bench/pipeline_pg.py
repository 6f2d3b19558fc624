"""The pipeline runs of `bench/pipeline.py` with the CRM on PostgreSQL, without loading the bank again.

    .venv/bin/python bench/pipeline_pg.py --pg DIR --work WORK [--date D] [--commit REV]

`DIR/pgdata` is a PostgreSQL data directory whose CRM holds the bank (e.g. what `bench/client_list.py
--keep DIR` leaves: 1,000,000 clients through the real path); `WORK` is a `bench/pipeline.py` work
directory of the same extracts whose lake holds the running state of D's 90-day window (its
`state_warmup` step writes it). The database is migrated, then two runs are measured as there: D with
the state of D-1 (a date in the middle of a month) and D+1 (the month end, with the valuation). The
state a run keeps for its own date is the same as the SQLite runs kept (the same lake, the same
definitions). Prints a table; JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, ThrowawayPostgres, app_env, machine, say, write_json
from pipeline import KEYCLIENT, PYTHON, WARM_IMPORTS, Steps, export_commit, git_state, loadavg, run_pipeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", type=Path, required=True, help="holds pgdata/ with the bank's CRM (kept)")
    parser.add_argument("--work", type=Path, required=True, help="a bench/pipeline.py work directory")
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 10, 30))
    parser.add_argument("--commit", help="measure the app as committed at this revision (see pipeline.py)")
    parser.add_argument("--json", type=Path, default=RESULTS / "pipeline_1m_postgresql_runs.json")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    lake = work / "var" / "lake"
    if not (lake / "pipeline" / f"date={args.date - timedelta(days=1)}").exists():
        raise SystemExit(f"{lake} holds no running state of {args.date - timedelta(days=1)}")
    app_tree = export_commit(args.commit, work) if args.commit else None
    pg = ThrowawayPostgres(keep=args.pg).start()
    try:
        var = work / "var-pg"
        extra = {"PYTHONPATH": str(app_tree)} if app_tree else {}
        env = app_env(pg.url(), var, KEYCLIENT_LAKE_DIR=str(lake), **extra)
        steps = Steps(work / "pg-runs", env, pg)
        result = {"machine": machine(), "git": git_state(app_tree), "database": "postgresql", "steps": {}}
        result["postgres"] = pg.version()
        s = result["steps"]
        s["migrate"] = steps.run("migrate", [KEYCLIENT, "migrate", "--no-input", "-v", "0"], json_out=False)
        s["bytecode"] = steps.run("bytecode", [PYTHON, "-c", WARM_IMPORTS], json_out=False)
        s["run_daily"] = run_pipeline(steps, "run_daily", args.date, bootstrap=False)
        s["run_incremental"] = run_pipeline(
            steps, "run_incremental", args.date + timedelta(days=1), bootstrap=False
        )
    finally:
        pg.stop()
    result["machine"]["load_avg_end"] = loadavg()
    path = write_json(args.json, result)
    print(f"\nkeyclient pipeline on PostgreSQL · {result['postgres']}")
    print(
        f"{'run':<24}{'wall s':>9}{'cpu s':>9}{'pg cpu s':>10}{'compute s':>11}{'crm write s':>13}{'valuation s':>13}"
    )
    for name in ("run_daily", "run_incremental"):
        r = s[name]
        p = r["process"]
        print(
            f"{name + ' ' + r['date']:<24}{r['wall_s']:>9.1f}{r['cpu_s']:>9.1f}{p.get('postgres_cpu_s', 0):>10.1f}"
            f"{r['compute']['wall_s']:>11.1f}{r['crm_write']['wall_s']:>13.1f}{r['month_end_valuation']['wall_s']:>13.1f}"
        )
        for call in sorted(r["steps"], key=lambda c: -c["wall_s"])[:8]:
            say(f"    {call['step']:<48}{call['wall_s']:>8.2f} s {call['cpu_s']:>8.2f} cpu s")
    print(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
