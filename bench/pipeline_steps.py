"""The steps of `bench/pipeline.py` that run inside the app, one process each.

    python bench/pipeline_steps.py org EXTRACTS --out step.json
    python bench/pipeline_steps.py intake SOURCE --date D [--history] --out step.json
    python bench/pipeline_steps.py run --date D [--bootstrap] [--explain 3] [--export F] --out step.json
    python bench/pipeline_steps.py state --from D1 --to D2 --out step.json

The parent starts each step as a child process (so that it can read the child's CPU seconds and peak
RSS) with the benchmark's environment (database, var and lake directories). A step writes what it
measured as JSON to `--out`.

Nothing in `keyclient` is edited to see inside a run: the step wraps module-level functions at run
time (the intake's read / validate / land / upsert helpers; the pipeline's `targets.compute_duckdb`,
`engine.write_state` and `bulk_insert`) and hands the pipeline a DuckDB connection that times every
statement it executes. The wrappers only add a clock around the original call.
"""

from __future__ import annotations

import argparse
import functools
import glob
import json
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# --- timing wrappers -------------------------------------------------------------------------------


class Clock:
    """Wall and CPU seconds (the whole process: DuckDB's threads count) per labelled call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def wrap(self, func: Callable[..., Any], label: Callable[..., str] | str) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            name = label(*args, **kwargs) if callable(label) else label
            wall0, cpu0 = time.perf_counter(), time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                self.calls.append(
                    {
                        "step": name,
                        "wall_s": round(time.perf_counter() - wall0, 3),
                        "cpu_s": round(time.process_time() - cpu0, 3),
                    }
                )

        return timed

    def patch(self, module: Any, attr: str, label: Callable[..., str] | str) -> None:
        """Wrap `module.attr` if it exists (the code under test may have moved on: then it is skipped)."""
        if hasattr(module, attr):
            setattr(module, attr, self.wrap(getattr(module, attr), label))

    def total(self, prefix: str) -> dict[str, float]:
        rows = [c for c in self.calls if c["step"].startswith(prefix)]
        return {
            "wall_s": round(sum(c["wall_s"] for c in rows), 3),
            "cpu_s": round(sum(c["cpu_s"] for c in rows), 3),
        }


_TABLE = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+)?(TABLE|VIEW)\s+(\w+)", re.I)
_COPY = re.compile(r"^\s*COPY\s+(\w+)\s+TO", re.I)
_PARQUET = re.compile(r"read_parquet\((\[[^\]]*\]|'(?:[^']|'')*')")
_LITERAL = re.compile(r"'((?:[^']|'')*)'")


def statement_label(sql: str) -> str:
    if m := _TABLE.match(sql):
        return f"{m.group(1).lower()} {m.group(2)}"
    if m := _COPY.match(sql):
        return f"state {m.group(1)}"
    return " ".join(sql.split())[:60]


class TimedConnection:
    """A DuckDB connection that records the SQL, wall and CPU seconds of every `execute`."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self.statements: list[dict[str, Any]] = []

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            self.statements.append(
                {
                    "step": statement_label(sql),
                    "wall_s": round(time.perf_counter() - wall0, 3),
                    "cpu_s": round(time.process_time() - cpu0, 3),
                    "sql": sql,
                }
            )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


class DuckDBShim:
    """Stands in for the `duckdb` module inside `keyclient.pipeline.services`: `connect()` hands out
    a TimedConnection; everything else is the real module."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.connections: list[TimedConnection] = []

    def connect(self, *args: Any, **kwargs: Any) -> TimedConnection:
        con = TimedConnection(self._real.connect(*args, **kwargs))
        self.connections.append(con)
        return con

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


# --- what a run read ------------------------------------------------------------------------------


def parquet_reads(statements: list[dict[str, Any]], lake: Path) -> dict[str, Any]:
    """The Parquet files the statements name, grouped by dataset: files, rows (each file once) and
    rows scanned (a file named by several statements counts each time; a view read twice counts
    once)."""
    import pyarrow.parquet as pq

    rows_of: dict[str, int] = {}
    datasets: dict[str, dict[str, Any]] = {}
    for statement in statements:
        patterns = [p for arg in _PARQUET.findall(statement["sql"]) for p in _LITERAL.findall(arg)]
        for pattern in patterns:
            for path in sorted(glob.glob(pattern.replace("''", "'"))):
                if path not in rows_of:
                    rows_of[path] = pq.read_metadata(path).num_rows
                rel = Path(path).relative_to(lake)
                name = (
                    f"{rel.parts[0]}/{rel.name.removesuffix('.parquet')}"
                    if rel.parts[0] == "pipeline"
                    else rel.parts[0]
                )
                entry = datasets.setdefault(name, {"files": set(), "scans": 0, "rows_scanned": 0})
                entry["files"].add(path)
                entry["scans"] += 1
                entry["rows_scanned"] += rows_of[path]
    out = {}
    for name, entry in sorted(datasets.items()):
        dated = (re.search(r"date=([0-9-]+)", f) for f in entry["files"])  # the client keys' cache has none
        dates = sorted(m.group(1) for m in dated if m)
        out[name] = {
            "files": len(entry["files"]),
            "rows": sum(rows_of[f] for f in entry["files"]),
            "rows_scanned": entry["rows_scanned"],
            "first_date": dates[0] if dates else None,
            "last_date": dates[-1] if dates else None,
        }
    return {
        "datasets": out,
        "rows": sum(d["rows"] for d in out.values()),
        "rows_scanned": sum(d["rows_scanned"] for d in out.values()),
    }


def explain(con: Any, statements: list[dict[str, Any]], top: int) -> list[dict[str, Any]]:
    """EXPLAIN ANALYZE of the `top` slowest table-building statements, on the run's own connection
    (its temp tables are still there), after the timed run: totals, time per operator type, and the
    slowest operators."""
    heavy = sorted((s for s in statements if s["step"].startswith("table ")), key=lambda s: -s["wall_s"])[
        :top
    ]
    plans = []
    for statement in heavy:
        select = re.sub(
            r"^\s*CREATE (?:OR REPLACE )?(?:TEMP )?TABLE\s+\w+\s+AS\s+", "", statement["sql"], flags=re.I
        )
        started = time.perf_counter()
        profile = json.loads(con.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {select}").fetchall()[0][-1])
        plans.append(
            {
                "step": statement["step"],
                "run_wall_s": statement["wall_s"],
                "explain_wall_s": round(time.perf_counter() - started, 3),
                **summarize_profile(profile),
            }
        )
    return plans


_SHOWN = ("Function", "Total Files Read", "Groups", "Aggregates", "Join Type", "Conditions", "Filters")


def summarize_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """DuckDB's JSON profile in a few lines: query totals, per operator type, the slowest operators.
    Operator timings are summed over threads (CPU-like), so they can exceed the wall time."""
    operators: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        operators.append(node)
        for child in node.get("children", []):
            walk(child)

    for node in profile.get("operator", []):
        walk(node)
    by_type: dict[str, dict[str, Any]] = {}
    for op in operators:
        entry = by_type.setdefault(op["type"], {"count": 0, "seconds": 0.0, "rows": 0})
        entry["count"] += 1
        entry["seconds"] += op.get("timing", 0.0)
        entry["rows"] += op.get("intermediate_rows", 0)
    slowest = sorted(operators, key=lambda op: -op.get("timing", 0.0))[:6]
    query, system = profile.get("query", {}), profile.get("system", {})
    return {
        "total_s": round(query.get("total_time", 0.0), 3),
        "cpu_s": round(query.get("cpu_time", 0.0), 3),
        "rows_scanned": query.get("total_rows_scanned"),
        "bytes_read": profile.get("io", {}).get("total_bytes_read"),
        "peak_buffer_mb": round(system.get("peak_buffer_memory", 0) / 2**20),
        "by_operator": {
            k: {**v, "seconds": round(v["seconds"], 3)}
            for k, v in sorted(by_type.items(), key=lambda kv: -kv[1]["seconds"])
            if v["seconds"] >= 0.001
        },
        "slowest": [
            {
                "type": op["type"],
                "seconds": round(op.get("timing", 0.0), 3),
                "rows": op.get("intermediate_rows", 0),
                **{k: str(v)[:160] for k, v in op.get("extra_info", {}).items() if k in _SHOWN},
            }
            for op in slowest
        ],
    }


# --- steps ---------------------------------------------------------------------------------------


def step_org(args: argparse.Namespace) -> dict[str, Any]:
    """The org tree and staff from the generator's files (the intake references them; a bank keeps
    them in its HR system, not in the core-banking extracts). Skipped when already loaded. Nobody
    logs in to the benchmark database: every staff member gets a random password."""
    from keyclient.org.models import OrgUnit, User

    if OrgUnit.objects.exists():
        return {"skipped": True, "units": OrgUnit.objects.count(), "staff": User.objects.count()}
    password = secrets.token_urlsafe(24)
    try:
        from keyclient.demo.org import load_org  # `keyclient demo org`
    except ImportError:  # older trees: the demo loader's helpers
        return _org_from_loader(args.extracts, password)
    report = load_org(args.extracts, password=password)
    return {"units": report.units, "staff": report.staff}


def _org_from_loader(extracts: Path, password: str) -> dict[str, Any]:
    import duckdb
    from django.db import transaction

    from keyclient.demo import loader

    con = duckdb.connect()
    src = loader.Extracts(extracts)
    with transaction.atomic():
        units = loader._load_org(con, src)
        staff = loader._load_staff(con, src, units, password)
    return {"units": len(units), "staff": len(staff)}


def step_intake(args: argparse.Namespace) -> dict[str, Any]:
    from keyclient.intake import services

    clock = Clock()
    clock.patch(services, "_references", "references")
    clock.patch(services, "read_extract", lambda con, staged, *a, **k: f"read {staged.extract.name}")
    clock.patch(services, "validate", lambda con, ext, *a, **k: f"validate {ext.name}")
    clock.patch(services, "extract_counts", "counts")
    clock.patch(services, "_write_rejects", "rejects file")
    clock.patch(services, "_land", lambda con, ext, *a, **k: f"land {ext.name}")
    clock.patch(services, "_upsert_products", "crm products")
    clock.patch(services, "_upsert_customers", "crm customers")
    clock.patch(services.lake, "commit", "lake commit")
    _patch_crm_writes(clock)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    job = services.load_extracts(source=args.source, load_date=args.date, history=args.history)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "date": str(args.date),
        "history": args.history,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "rows_read": job.rows_read,
        "rows_accepted": job.rows_accepted,
        "rows_rejected": job.rows_rejected,
        "counts": job.counts,
        "steps": clock.calls,
    }


def _patch_crm_writes(clock: Clock) -> None:
    """The intake's CRM writes, one clock each (`keyclient.intake.crm` and its helpers; older trees
    wrote from `services` and are timed there)."""
    try:
        from keyclient.intake import crm, crm_accounts, crm_contacts
    except ImportError:
        return
    from keyclient.intake import services

    clock.patch(services, "write_crm", "crm (all writes)")
    for name in ("upsert_products", "upsert_customers", "write_links"):
        clock.patch(crm, name, f"crm {name.split('_', 1)[1]}")
    for name in ("account_keys", "write_accounts", "write_holdings"):
        clock.patch(crm_accounts, name, f"crm {name.replace('write_', '')}")
    for name in ("previous_customers", "write_tags", "write_contacts"):
        clock.patch(crm_contacts, name, f"crm {name.replace('write_', '')}")


def _insert_label(*args: Any, **kwargs: Any) -> str:
    """`crm insert <table>` for either writer: bulk_insert(table, ...) or insert_from_duckdb(con, sql, table, ...)."""
    table = args[0] if isinstance(args[0], str) else args[2]
    return f"crm insert {table}"


def step_run(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection, transaction

    from keyclient.customers.models import Customer
    from keyclient.pipeline import engine, services
    from keyclient.pipeline.indicators import DAILY, pricing
    from keyclient.pipeline.models import ClientBankOutflow, ClientDailyIndicator
    from keyclient.products.models import BalanceSnapshot, SignificantTransaction

    lake = services.lake_dir()
    state = lake / engine.STATE
    if args.bootstrap and state.exists():
        shutil.rmtree(state)  # no running state: the run reads the underlying partitions
    if args.clear:
        # A first run, not a re-run: remove earlier benchmark results for this date and later
        # (untimed), so that the measured run writes into empty date ranges as a first run does.
        cleared: list[tuple[Any, str]] = [
            (ClientDailyIndicator, "date__gte"),
            (ClientBankOutflow, "date__gte"),
            (SignificantTransaction, "date__gte"),
            (BalanceSnapshot, "as_of__gte"),
        ]
        try:  # the month-end valuation's rows (trees before issue 5 have none)
            from keyclient.valuation.models import TierAssignment, ValueScore

            cleared += [(ValueScore, "as_of__gte"), (TierAssignment, "as_of__gte")]
        except ImportError:
            pass
        with transaction.atomic():
            for model, field in cleared:
                model.objects.filter(**{field: args.date})._raw_delete(model.objects.db)
        if connection.vendor == "postgresql":
            # PostgreSQL keeps the deleted rows as dead tuples until a vacuum, and a first run meets
            # none: its unique checks would visit each dead duplicate. Vacuum them away (untimed), and
            # the client master, which earlier month ends rewrote (autovacuum does this between nights).
            with connection.cursor() as cursor:
                for model, _field in [*cleared, (Customer, "")]:
                    cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
    clock = Clock()
    shim = DuckDBShim(services.duckdb)
    services.duckdb = shim  # type: ignore[assignment]
    clock.patch(engine, "compute", "compute")
    clock.patch(engine, "write_state", "state")
    clock.patch(services, "insert_from_duckdb", _insert_label)
    clock.patch(services, "bulk_insert", _insert_label)  # the writer of older trees (patch skips if absent)
    clock.patch(services, "_set_customer_aum", "crm customer aum")
    clock.patch(services, "value_month", "month-end valuation")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    counts = services.run_date(args.date)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    con = shim.connections[-1]
    compute, state_write = clock.total("compute"), clock.total("state")
    inserts, valuation = clock.total("crm "), clock.total("month-end")
    result: dict[str, Any] = {
        "date": str(args.date),
        "bootstrap": args.bootstrap,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "compute": compute,
        "state_write": state_write,
        # The rest of run_date: reading the CRM's client ids, deletes, inserts, watermarks, event.
        "crm_write": {
            "wall_s": round(wall - compute["wall_s"] - state_write["wall_s"] - valuation["wall_s"], 3),
            "cpu_s": round(cpu - compute["cpu_s"] - state_write["cpu_s"] - valuation["cpu_s"], 3),
            "inserts_wall_s": inserts["wall_s"],
        },
        "month_end_valuation": valuation,
        "counts": counts,
        "steps": clock.calls,
        "statements": [{k: v for k, v in s.items() if k != "sql"} for s in con.statements],
        "reads": parquet_reads(con.statements, lake),
        "pricing": pricing(),
        "database": connection.vendor,
    }
    if args.explain:
        result["explain"] = explain(con, con.statements, args.explain)
    if args.export:
        result["export"] = export(args.date, args.export, [i.name for i in DAILY])
    return result


def step_state(args: argparse.Namespace) -> dict[str, Any]:
    """The running state a daily operation leaves behind, for every date from `--from` to `--to`:
    the engine's own `targets.compute_duckdb` + `engine.write_state` per date, in order (what `pipeline backfill` leaves in
    the lake), without the CRM writes, which the next date's run does not read."""
    import duckdb

    from keyclient.pipeline import engine, services, targets

    lake = services.lake_dir()
    engine.recover_state(lake)
    days = []
    day = args.first
    while day <= args.last:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        con = duckdb.connect()
        targets.compute_duckdb(con, lake, day)
        engine.write_state(con, lake, day)
        con.close()
        days.append(
            {
                "date": str(day),
                "wall_s": round(time.perf_counter() - wall0, 3),
                "cpu_s": round(time.process_time() - cpu0, 3),
            }
        )
        day += timedelta(days=1)
    return {
        "from": str(args.first),
        "to": str(args.last),
        "days": days,
        "wall_s": round(sum(d["wall_s"] for d in days), 3),
        "cpu_s": round(sum(d["cpu_s"] for d in days), 3),
    }


def export(day: date, path: Path, names: list[str]) -> dict[str, Any]:
    """The indicators the run wrote into the CRM database for `day`, as Parquet (for the pandas
    comparison), read back with one SQL query."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from django.db import connection

    from keyclient.customers.models import Customer
    from keyclient.pipeline.models import ClientDailyIndicator

    started = time.perf_counter()
    quote = connection.ops.quote_name
    table, customers = ClientDailyIndicator._meta.db_table, Customer._meta.db_table
    cols = ", ".join(f"i.{quote(n)}" for n in names)
    columns: list[list[Any]] = [[] for _ in range(len(names) + 1)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.customer_no, {cols} FROM {quote(table)} i JOIN {quote(customers)} c "
            "ON c.id = i.customer_id WHERE i.date = %s",
            [day],
        )
        while batch := cursor.fetchmany(100_000):
            for row in batch:
                for n, value in enumerate(row):
                    columns[n].append(value)
    arrays = {"customer_no": pa.array(columns[0], pa.string())}
    for name, values in zip(names, columns[1:], strict=True):
        if name == "last_txn_date":
            arrays[name] = pa.array(
                [v if v is None or isinstance(v, date) else date.fromisoformat(str(v)) for v in values],
                pa.date32(),
            )
        elif name.startswith(("txn_count", "products_held", "maturing_30d_count")):
            arrays[name] = pa.array(values, pa.int64())
        else:
            arrays[name] = pa.array([None if v is None else float(v) for v in values], pa.float64())
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(arrays), path)
    return {"path": str(path), "rows": len(columns[0]), "wall_s": round(time.perf_counter() - started, 3)}


def peak_rss_mb() -> int:
    """This process's own peak RSS (VmHWM of its address space). `ru_maxrss` as the parent sees it
    also counts the parent's memory at the fork, so a small child of a large parent looks large."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="write the measurements here (JSON)")
    sub = parser.add_subparsers(dest="step", required=True)
    org = sub.add_parser("org")
    org.add_argument("extracts", type=Path)
    intake = sub.add_parser("intake")
    intake.add_argument("source", type=Path)
    intake.add_argument("--date", type=date.fromisoformat, required=True)
    intake.add_argument("--history", action="store_true")
    run = sub.add_parser("run")
    run.add_argument("--date", type=date.fromisoformat, required=True)
    run.add_argument("--bootstrap", action="store_true", help="delete the running state first")
    run.add_argument("--clear", action="store_true", help="delete earlier results from this date on")
    run.add_argument("--explain", type=int, default=0, help="EXPLAIN ANALYZE the N slowest statements")
    run.add_argument("--export", type=Path, help="write the indicators written for the date as Parquet")
    state = sub.add_parser("state", help="write the running state for a range of dates")
    state.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    state.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyclient.config.settings")
    import django

    django.setup()
    result = {"org": step_org, "intake": step_intake, "run": step_run, "state": step_state}[args.step](args)
    result["peak_rss_mb"] = peak_rss_mb()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
