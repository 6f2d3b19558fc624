"""The month end's write of every client's AUM on PostgreSQL, done four ways (docs/adr/0006).

Runs on a kept 1M-client database of `client_list.py --keep DIR` and leaves it as it was: each
alternative works on its own copy of the tables (`bench_*`, dropped at the end) and every timed
statement of an in-place update is rolled back.

    .venv/bin/python bench/month_end_alternatives.py --pg DIR [--json out.json]
    .venv/bin/python bench/month_end_alternatives.py --pg DIR --app   # the app's own swap, after migrating

1. `wide`: UPDATE of every row of a copy of the client master with the 18 indexes it had before the
   position table (13 of its own, 5 on AUM) — the month end before (119 s of 167 s at eaa4ad2).
2. `wide_hot`: the same copy without the 5 AUM indexes and with `fillfactor` 60, so that PostgreSQL
   can update each row in place on its page (HOT: no index entry written). The list could then no
   longer sort on an index.
3. `wide_tier_only`: only the rows whose tier changes (3 %), through the 13 indexes: what the
   month end still writes on the master.
4. `narrow_update`: UPDATE of every row of the position table (5 indexes).
5. `narrow_swap`: the position table built fresh (INSERT … SELECT of the month's snapshot joined to
   the current position), its 5 indexes built, then swapped in by rename in one transaction — what
   `keyclient.customers.writer.set_month_positions` does.

`--app` migrates the database to the checked-out code, puts a month's `BalanceSnapshot` rows in
(untimed) and times the app's `writer.set_month_positions` in a transaction (the month end's write of
AUM since ADR 0006), three times; the snapshot rows are removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ThrowawayPostgres, app_env, keyclient, machine, say, write_json

AUM_INDEXES = {
    "bench_wide_aum": "(aum DESC, id) INCLUDE (home_org_unit_id, primary_rm_id, tier, kind, status, "
    "name_initials, name, customer_no)",
    "bench_wide_unit_aum": "(home_org_unit_id, aum DESC)",
    "bench_wide_rm_aum": "(primary_rm_id, aum DESC)",
    "bench_wide_tier_aum": "(tier, aum DESC, id) INCLUDE (home_org_unit_id, primary_rm_id, kind, status, "
    "name_initials, name)",
    "bench_wide_status_aum": "(status, aum DESC)",
}
NARROW_INDEXES = {
    "aum": "(aum DESC, customer_id) INCLUDE (home_org_unit_id, primary_rm_id, tier, kind, status)",
    "unit_aum": "(home_org_unit_id, aum DESC, customer_id)",
    "rm_aum": "(primary_rm_id, aum DESC, customer_id)",
    "tier_aum": "(tier, aum DESC, customer_id) INCLUDE (home_org_unit_id, primary_rm_id, kind, status)",
    "status_aum": "(status, aum DESC, customer_id)",
}
DAY = "2026-12-31"


def timed(con: Any, sql: str, params: list[Any] | None = None) -> float:
    started = time.perf_counter()
    con.execute(sql, params or [])
    return round(time.perf_counter() - started, 2)


def prepare(con: Any) -> dict[str, float]:
    """The copies each alternative works on, and the month's AUM (a MADB close to the last one)."""
    took: dict[str, float] = {}
    cols = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers_customer'"
    ).fetchall()}  # fmt: skip
    source = (
        "SELECT c.*, coalesce(p.aum, 0) AS aum_, p.aum_as_of AS aum_as_of_ FROM customers_customer c "
        "LEFT JOIN customers_customerposition p ON p.customer_id = c.id"
        if "aum" not in cols
        else "SELECT c.* FROM customers_customer c"
    )
    con.execute("DROP TABLE IF EXISTS bench_wide, bench_hot, bench_snap, bench_pos, bench_pos_new")
    took["copy_wide"] = timed(con, f"CREATE TABLE bench_wide AS {source}")
    if "aum" not in cols:
        con.execute("ALTER TABLE bench_wide RENAME aum_ TO aum")
        con.execute("ALTER TABLE bench_wide RENAME aum_as_of_ TO aum_as_of")
    con.execute("ALTER TABLE bench_wide ADD PRIMARY KEY (id)")
    # The master's own indexes (without the AUM ones, which are added below under their old shape).
    own = con.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'customers_customer' AND indexname NOT LIKE "
        "'%%pkey' AND indexdef NOT LIKE '%%aum%%'"
    ).fetchall()
    for n, (definition,) in enumerate(own):
        on = definition.split(" USING ", 1)[1]
        con.execute(f"CREATE INDEX bench_wide_own_{n} ON bench_wide USING {on}")
    took["wide_own_indexes"] = len(own) + 1  # with the primary key
    con.execute("CREATE TABLE bench_hot (LIKE bench_wide INCLUDING ALL) WITH (fillfactor = 60)")
    took["copy_hot"] = timed(con, "INSERT INTO bench_hot SELECT * FROM bench_wide")
    for name, spec in AUM_INDEXES.items():
        con.execute(f"CREATE INDEX {name} ON bench_wide {spec}")
    took["copy_snap"] = timed(
        con,
        "CREATE TABLE bench_snap AS SELECT id AS customer_id, round(aum * (0.9 + random() * 0.2)::numeric, 2) "
        "AS aum_madb FROM bench_wide",
    )
    con.execute("CREATE UNIQUE INDEX bench_snap_key ON bench_snap (customer_id)")
    con.execute(
        "CREATE TABLE bench_pos AS SELECT id AS customer_id, aum, aum_as_of, tier, kind, status, "
        "home_org_unit_id, primary_rm_id FROM bench_wide"
    )
    con.execute("ALTER TABLE bench_pos ADD PRIMARY KEY (customer_id)")
    for name, spec in NARROW_INDEXES.items():
        con.execute(f"CREATE INDEX bench_pos_{name} ON bench_pos {spec}")
    con.execute("VACUUM ANALYZE bench_wide, bench_hot, bench_snap, bench_pos")
    return took


def backend_cpu(con: Any) -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (user + system): the figure
    that stays comparable when other work shares the machine."""
    pid = con.execute("SELECT pg_backend_pid()").fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rolled_back(con: Any, sql: str) -> dict[str, float]:
    with con.transaction(force_rollback=True):
        cpu, started = backend_cpu(con), time.perf_counter()
        cur = con.execute(sql, [DAY])
        return {
            "wall_s": round(time.perf_counter() - started, 2),
            "cpu_s": round(backend_cpu(con) - cpu, 2),
            "rows": cur.rowcount,
            "load1": round(os.getloadavg()[0], 1),
        }


UPDATE = "UPDATE {t} SET aum = s.aum_madb, aum_as_of = %s FROM bench_snap s WHERE s.customer_id = {t}.{k}"


def wide(con: Any) -> dict[str, Any]:
    """UPDATE every row through 18 indexes (rolled back)."""
    return rolled_back(con, UPDATE.format(t="bench_wide", k="id"))


def wide_hot(con: Any) -> dict[str, Any]:
    """UPDATE every row, 13 indexes, fillfactor 60 (rolled back); how many were HOT."""
    with con.transaction(force_rollback=True):
        cpu, started = backend_cpu(con), time.perf_counter()
        cur = con.execute(UPDATE.format(t="bench_hot", k="id"), [DAY])
        result = {"wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(backend_cpu(con) - cpu, 2),
                  "rows": cur.rowcount, "load1": round(os.getloadavg()[0], 1)}  # fmt: skip
        hot = con.execute("SELECT n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'bench_hot'")
        result["hot_rows"] = hot.fetchone()[0]
    return result


def wide_tier_only(con: Any) -> dict[str, Any]:
    """UPDATE the 3 % whose tier changes, through the master's 13 indexes (rolled back)."""
    return rolled_back(con, "UPDATE bench_hot SET tier = 'gold' WHERE id %% 33 = 0 AND %s::date IS NOT NULL")


def narrow_update(con: Any) -> dict[str, Any]:
    """UPDATE every row of the position table, 5 indexes (rolled back)."""
    return rolled_back(con, UPDATE.format(t="bench_pos", k="customer_id"))


def narrow_swap(con: Any) -> dict[str, Any]:
    """Build the position table fresh, index it, swap it in."""
    phases: dict[str, float] = {}
    tag = f"{int(time.time())}"
    con.execute("DROP TABLE IF EXISTS bench_pos_new")
    cpu, started = backend_cpu(con), time.perf_counter()
    phases["create_fill"] = timed(
        con,
        """CREATE TABLE bench_pos_new AS SELECT p.customer_id, coalesce(s.aum_madb, p.aum) AS aum,
        CASE WHEN s.customer_id IS NULL THEN p.aum_as_of ELSE %s::date END AS aum_as_of, p.tier, p.kind,
        p.status, p.home_org_unit_id, p.primary_rm_id
        FROM bench_pos p LEFT JOIN bench_snap s ON s.customer_id = p.customer_id""",
        [DAY],
    )
    phases["primary_key"] = timed(con, "ALTER TABLE bench_pos_new ADD PRIMARY KEY (customer_id)")
    for name, spec in NARROW_INDEXES.items():
        phases[f"index_{name}"] = timed(con, f"CREATE INDEX bench_pos_{tag}_{name} ON bench_pos_new {spec}")
    phases["analyze"] = timed(con, "ANALYZE bench_pos_new")
    with con.transaction():
        t0 = time.perf_counter()
        con.execute("DROP TABLE bench_pos")
        con.execute("ALTER TABLE bench_pos_new RENAME TO bench_pos")
        phases["swap"] = round(time.perf_counter() - t0, 3)
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "cpu_s": round(backend_cpu(con) - cpu, 2),
        "load1": round(os.getloadavg()[0], 1),
        "phases": phases,
    }


STEPS = {f.__name__: f for f in (narrow_swap, narrow_update, wide_tier_only, wide_hot, wide)}


def run(con: Any, steps: list[str], report: dict[str, Any], out: Path) -> None:
    """Each step in turn, its result printed and the JSON written as soon as it is done."""
    report.setdefault("results", {})
    for name in steps:
        say(f"{name}: {(STEPS[name].__doc__ or '').strip()}")
        report["results"][name] = STEPS[name](con)
        say(f"  {json.dumps(report['results'][name])}")
        write_json(out, report)


APP_RUN = """
import json, time
from datetime import date
from django.db import transaction
from keyclient.customers import writer
runs = []
for _ in range(3):
    t = time.perf_counter()
    with transaction.atomic():
        n = writer.set_month_positions(date.fromisoformat("{day}"), "products_balancesnapshot")
    runs.append(round(time.perf_counter() - t, 2))
print(json.dumps({{"rows": n, "seconds": runs}}))
"""


def app_month_end(pg: ThrowawayPostgres, keep: Path) -> dict[str, Any]:
    env = app_env(pg.url(), keep / "var")
    say("keyclient migrate")
    started = time.perf_counter()
    keyclient(["migrate", "--no-input"], env)
    result: dict[str, Any] = {"migrate_s": round(time.perf_counter() - started, 1)}
    with pg.connect() as con:
        con.execute("DELETE FROM products_balancesnapshot WHERE as_of = %s", [DAY])
        con.execute(
            """INSERT INTO products_balancesnapshot (as_of, customer_id, aum, aum_madb, deposit, investment, loan)
            SELECT %s, customer_id, aum, round(aum * (0.9 + random() * 0.2)::numeric, 2), aum, 0, 0
            FROM customers_customerposition""",
            [DAY],
        )
        con.execute("ANALYZE products_balancesnapshot")
    say("writer.set_month_positions x3")
    result["load_before"] = os.getloadavg()
    out = keyclient(["shell", "-c", APP_RUN.format(day=DAY)], env)
    result.update(json.loads(out.strip().splitlines()[-1]))
    result["load_after"] = os.getloadavg()
    with pg.connect() as con:
        con.execute("DELETE FROM products_balancesnapshot WHERE as_of = %s", [DAY])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pg", type=Path, required=True, help="a client_list.py --keep DIR")
    parser.add_argument("--json", type=Path, default=Path("bench/results/month_end_alternatives.json"))
    parser.add_argument(
        "--reuse", action="store_true", help="keep the bench_* copies an interrupted run left"
    )
    parser.add_argument(
        "--steps", default=",".join(STEPS), help="comma-separated, in order: " + ", ".join(STEPS)
    )
    parser.add_argument("--app", action="store_true", help="migrate, then time the app's own month-end swap")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"machine": machine(), "load_before": os.getloadavg()}
    if args.app:
        with ThrowawayPostgres(keep=args.pg) as pg:
            report["app"] = app_month_end(pg, args.pg.resolve())
        print(json.dumps(report["app"], indent=2))
        say(f"JSON {write_json(args.json, report)}")
        return 0
    with ThrowawayPostgres(keep=args.pg) as pg, pg.connect() as con:
        report["clients"] = con.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
        have = {r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'bench_%%'")}
        if args.reuse and {"bench_wide", "bench_hot", "bench_snap", "bench_pos"} <= have:
            say("reusing the bench_* copies of an interrupted run")
        else:
            report["prepare"] = prepare(con)
        run(con, args.steps.split(","), report, args.json)
        con.execute("DROP TABLE IF EXISTS bench_wide, bench_hot, bench_snap, bench_pos, bench_pos_new")
    report["load_after"] = os.getloadavg()
    say(f"load {report['load_before']} -> {report['load_after']}; JSON {write_json(args.json, report)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
