"""Peak memory of the intake of month-end snapshot balances (budget < 4 GB for 10 M balance rows).

    .venv/bin/python bench/intake_snapshots.py [--clients 1000000] [--months 10] [--json out.json]

A fresh SQLite database in a temp dir is migrated and given a tiny org tree (`keyclient demo generate
--customers 20`, then `keyclient demo org`). Then `--clients` clients and their balances at the last
day of each of `--months` months (clients × months rows, 10 M by default) are written as CSV, with a
mapping that declares the balances as snapshots (`balance_frequency = "snapshot"`), and loaded by one
`keyclient intake load DIR --date <last month end> --history --mapping F`: the client master into the
CRM, one lake partition per month end. Measured: that process's peak RSS (`os.wait4`, the kernel's
own high-water mark of the process, DuckDB's threads included) and its wall time; the lake's
partitions are counted and their `_frequency` checked.
"""

from __future__ import annotations

import argparse
import calendar
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import KEYCLIENT, RESULTS, ROOT, app_env, keyclient, machine, say, write_json

BUDGET_GIB = 4.0


def month_ends(last: date, months: int) -> list[date]:
    ends, year, month = [], last.year, last.month
    for _ in range(months):
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(ends)


def write_sources(source: Path, org_code: str, clients: int, ends: list[date]) -> None:
    """The client master and the month-end balances as CSV, written by DuckDB (set-based)."""
    import duckdb

    source.mkdir(parents=True)
    (source / "products.csv").write_text(
        "product_code,name,category,risk_rating\nDP001,Current account,deposit,R1\n", encoding="utf-8"
    )
    (source / "transactions.csv").write_text(  # required: one transaction on the last month end
        f"txn_id,date,customer_no,amount,direction,txn_type\n1,{ends[-1]},B000000001,100.00,C,salary\n",
        encoding="utf-8",
    )
    con = duckdb.connect()
    con.execute(f"""COPY (
        SELECT printf('B%09d', i) AS customer_no, 'individual' AS kind, 'Client ' || i AS name,
            'resident_id' AS id_type, printf('ID%016d', i) AS id_number, '{org_code}' AS home_org_code,
            'active' AS status
        FROM range(1, {clients} + 1) t(i)
    ) TO '{source / "customers.csv"}' (HEADER)""")
    days = ", ".join(f"DATE '{d}'" for d in ends)
    con.execute(f"""COPY (
        SELECT strftime(d, '%Y-%m-%d') AS date, printf('B%09d', i) AS customer_no,
            round(hash(i, d) % 50000000 / 100.0, 2) AS deposit,
            round(hash(d, i) % 20000000 / 100.0, 2) AS investment, 0 AS loan
        FROM range(1, {clients} + 1) t(i), unnest([{days}]) u(d)
    ) TO '{source / "daily_balances.csv"}' (HEADER)""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=10)
    parser.add_argument("--last", type=date.fromisoformat, default=date(2026, 10, 31))
    parser.add_argument("--json", type=Path, default=RESULTS / "intake_snapshots.json")
    args = parser.parse_args()
    ends = month_ends(args.last, args.months)
    with tempfile.TemporaryDirectory(prefix="kc-bench-snap-") as tmp:
        work = Path(tmp)
        lake = work / "lake"
        env = app_env("", work, KEYCLIENT_LAKE_DIR=str(lake))
        say("migrate, org")
        keyclient(["migrate", "--no-input", "-v", "0"], env)
        keyclient(["demo", "generate", "--customers", "20", "--seed", "1", "--out", str(work / "org")], env)
        keyclient(["demo", "org", str(work / "org")], env)
        import duckdb

        org_code = duckdb.sql(
            f"SELECT home_org_code FROM read_parquet('{work / 'org' / 'customers.parquet'}') LIMIT 1"
        ).fetchall()[0][0]
        say(f"write {args.clients:,} clients × {len(ends)} month ends")
        source = work / "source"
        write_sources(source, org_code, args.clients, ends)
        mapping = work / "mapping.toml"
        mapping.write_text('[extracts.daily_balances]\nbalance_frequency = "snapshot"\n', encoding="utf-8")
        say("intake load --history")
        argv = [
            str(KEYCLIENT), "intake", "load", str(source), "--date", str(ends[-1]), "--history",
            "--mapping", str(mapping),
        ]  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out = proc.stdout.read().decode() if proc.stdout else ""
        err = proc.stderr.read().decode() if proc.stderr else ""
        if status != 0:
            raise SystemExit(f"intake failed ({status}):\n{out}\n{err[-4000:]}")
        parts = sorted((lake / "daily_balances").glob("date=*"))
        frequencies = sorted({(p / "_frequency").read_text() for p in parts})
    peak_gib = usage.ru_maxrss / 1024 / 1024  # ru_maxrss is in KiB on Linux
    result = {
        "machine": machine(),
        "clients": args.clients,
        "month_ends": len(ends),
        "balance_rows": args.clients * len(ends),
        "partitions": len(parts),
        "frequencies": frequencies,
        "peak_rss_gib": round(peak_gib, 2),
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "budget_gib": BUDGET_GIB,
        "within_budget": peak_gib < BUDGET_GIB,
    }
    print(f"{'balance rows':<24}{result['balance_rows']:>14,}")
    print(f"{'clients × month ends':<24}{args.clients:>10,} × {len(ends)}")
    print(f"{'partitions landed':<24}{len(parts):>14} ({', '.join(frequencies)})")
    print(f"{'peak RSS':<24}{peak_gib:>12.2f} GiB  (budget < {BUDGET_GIB:.0f} GB)")
    print(f"{'wall / CPU':<24}{wall:>12.1f} s / {result['cpu_s']} s")
    print(f"{'load average':<24}{result['machine']['load_avg']}")
    say(f"written {write_json(args.json, result)}")


if __name__ == "__main__":
    main()
