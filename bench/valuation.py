"""Benchmark the month-end valuation (four indicators, value score, CLV, tiers) at 1,000,000 clients.

    .venv/bin/python bench/valuation.py --keep DIR --extracts EXTRACTS [--json out.json]

`DIR/pgdata` is a PostgreSQL data directory holding a filled CRM (e.g. the one `bench/client_list.py
--keep DIR` leaves: 1,000,000 clients loaded through the real path); it is migrated, then used.
`EXTRACTS` is the generator's output for the same bank (`keyclient demo generate --customers 1000000
--seed 7`): the month's inputs are built from it the way the pipeline would hand them over at a month
end (monthly averages and contribution from the daily balances, the latest holdings with product risk,
client links), plus loans and eleven earlier months of valuation state made up from them (untimed).
Then `run_month_end` runs once, timed by phase; the run is repeated `--runs` times (a re-run replaces
the month). Prints a table and writes JSON (default bench/results/valuation.json).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

from common import (
    RESULTS,
    ThrowawayPostgres,
    app_env,
    cpu_delta,
    keyclient,
    machine,
    say,
    tree_cpu_snapshot,
    write_json,
)

MONTH_END = date(2026, 10, 31)
EARLIER = [date(2025, 11, 30), date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
           date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30), date(2026, 7, 31), date(2026, 8, 31),
           date(2026, 9, 30)]  # fmt: skip


def lit(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def build_inputs(con, extracts: Path, lake: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The month-end inputs as DuckDB tables in `con`, and eleven earlier months of state in `lake`."""
    balances = extracts / "daily_balances" / f"month={MONTH_END:%Y-%m}" / "*.parquet"
    con.execute(
        f"""CREATE TABLE month_end AS SELECT customer_no, arg_max(deposit + investment, date) AS aum,
            avg(deposit) AS deposit_madb, avg(investment) AS investment_madb, avg(loan) AS loan_madb,
            sum((deposit * 0.015 + loan * 0.02 + investment * 0.004 - 600) / 365.0) AS contribution_month,
            0.0 AS outflow_other_banks_30d
        FROM read_parquet({lit(balances)}) GROUP BY customer_no"""
    )
    con.execute(
        f"""CREATE TABLE holdings AS SELECT h.customer_no, h.balance::DOUBLE AS balance, p.risk_rating
        FROM read_parquet({lit(extracts / "holdings.parquet")}) h
        JOIN read_parquet({lit(extracts / "products.parquet")}) p USING (product_code)
        WHERE h.as_of = (SELECT max(as_of) FROM read_parquet({lit(extracts / "holdings.parquet")}))"""
    )
    con.execute(
        f"""CREATE TABLE links AS SELECT from_customer_no, to_customer_no
        FROM read_parquet({lit(extracts / "links.parquet")})"""
    )
    # Loans: one per client with a loan balance; the class spread of a typical retail book.
    con.execute(
        """CREATE TABLE loans AS SELECT customer_no, loan_madb AS balance,
            CASE WHEN r < 0.95 THEN 0 WHEN r < 0.985 THEN 45 WHEN r < 0.993 THEN 120 WHEN r < 0.997 THEN 200 ELSE 400 END
                AS overdue_days,
            CASE WHEN r < 0.95 THEN '正常' WHEN r < 0.985 THEN '关注' WHEN r < 0.993 THEN '次级' WHEN r < 0.997 THEN '可疑'
                ELSE '损失' END AS classification
        FROM (SELECT customer_no, loan_madb, (hash(customer_no) % 1000) / 1000.0 AS r FROM month_end WHERE loan_madb > 0)"""
    )  # fmt: skip
    for as_of in EARLIER:
        folder = lake / "valuation" / f"month={as_of}"
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"""COPY (SELECT customer_no, DATE '{as_of}' AS as_of, contribution_month * (0.8 + (hash(customer_no || '{as_of}') % 400) / 1000.0)
                AS contribution_month, CASE WHEN deposit_madb + investment_madb >= 10000000 THEN 'private_banking'
                WHEN deposit_madb + investment_madb >= 6000000 THEN 'diamond' WHEN deposit_madb + investment_madb >= 500000
                THEN 'platinum' WHEN deposit_madb + investment_madb >= 50000 THEN 'gold' ELSE 'mass' END AS tier,
                tier AS rule_tier, (hash(customer_no) % 3)::INTEGER AS months_below FROM month_end)
            TO {lit(folder / "state.parquet")} (FORMAT parquet)"""
        )  # fmt: skip
    return {
        name: con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
        for name in ("month_end", "holdings", "links", "loans")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--keep", type=Path, required=True, help="directory with pgdata/ holding the filled CRM"
    )
    parser.add_argument(
        "--extracts", type=Path, required=True, help="the generator's output for the same bank"
    )
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", type=Path, default=RESULTS / "valuation.json")
    args = parser.parse_args(argv)

    work = args.keep / "valuation-work"
    lake = work / "lake"
    with ThrowawayPostgres(keep=args.keep) as pg:
        env = app_env(pg.url(), work / "var", KEYCLIENT_LAKE_DIR=str(lake))
        say("migrate")
        keyclient(["migrate", "--no-input", "-v", "0"], env)
        os.environ.update(env)
        import django

        django.setup()
        import duckdb
        from django.db import connection

        from keyclient.valuation.month_end import run_month_end

        clients = connection.cursor().execute("SELECT count(*) FROM customers_customer").fetchone()[0]
        say(f"building the month-end inputs for {clients:,} clients (untimed)")
        started = time.perf_counter()
        con = duckdb.connect()
        sizes = build_inputs(con, args.extracts, lake)
        say(f"  inputs in {time.perf_counter() - started:.1f} s: {sizes}")
        runs = []
        for n in range(args.runs):
            timings: dict[str, float] = {}
            pg0 = tree_cpu_snapshot(pg.postmaster_pid())
            load0, cpu0, wall0 = os.getloadavg(), time.process_time(), time.perf_counter()
            counts = run_month_end(MONTH_END, con=con, timings=timings)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            pg_cpu = cpu_delta(pg0, tree_cpu_snapshot(pg.postmaster_pid()))
            runs.append(
                {"run": n + 1, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "pg_cpu_s": round(pg_cpu, 2), "phases": timings, "counts": counts,
                 "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()]}
            )  # fmt: skip
            say(
                f"  run {n + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU here + {pg_cpu:.1f} s PostgreSQL, {counts}"
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tier, count(*) FROM valuation_tierassignment WHERE as_of = %s GROUP BY tier ORDER BY 2 DESC",
                [MONTH_END],
            )
            tiers = dict(cursor.fetchall())
    payload = {
        "benchmark": "valuation month-end run",
        "machine": machine(),
        "clients": clients,
        "inputs": sizes,
        "runs": runs,
        "tiers": tiers,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "budget_s": 60,
    }
    write_json(args.json, payload)
    print(f"\n{'run':>4} {'wall s':>8} {'CPU s':>7} {'PG CPU s':>9} {'load':>5}  phases (s)")
    for r in runs:
        phases = ", ".join(f"{k} {v}" for k, v in r["phases"].items())
        print(
            f"{r['run']:>4} {r['wall_s']:>8} {r['cpu_s']:>7} {r['pg_cpu_s']:>9} {r['load_before'][0]:>5}  {phases}"
        )
    print(f"tiers: {tiers}\nJSON: {args.json}")
    return 0 if all(r["wall_s"] < 60 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
