"""Benchmark: intake and the indicator pipeline on a generated bank, next to a plain-pandas baseline.

Acceptance point (issue 4): at 1,000,000 clients and 100,000,000 transactions the full pipeline run
for one date takes under 60 s and is at least 10x faster than the pandas baseline measured in the
same run; the run for the next date after a loaded year takes under 10 s.

1. **Bank.** `keyclient demo generate` (or `--extracts DIR`, reused as is): clients, transactions,
   daily balances, holdings. L = the last balance date, D = L - 1 (or `--date`), D+1 = L.
2. **Sources** under `WORK/sources/`, one directory per load: the history up to D, one per month
   (`--history-chunks month`, the default: a single load of a year at 1M clients needs ~80 GB of
   DuckDB working memory) or in one piece (`one`); the first carries every snapshot (accounts,
   links...), each one the client master and the catalog (the intake requires them and compares the
   client master with the previous snapshot). `day/` = the snapshots and D+1's rows. Whole files are
   symlinked, the rest filtered.
3. **Intake** into a fresh CRM database (embedded SQLite under `WORK/var/`, or `--postgres`: a
   throwaway PostgreSQL 15 kept in `WORK/pg/`) and lake (`WORK/var/lake/`): the org tree and staff
   first (the generator's files, as `keyclient demo org` reads them), then `load_extracts(--history)`
   per history source and `load_extracts` of D+1: wall, CPU, rows/s, and per extract the read,
   validate and land times.
4. **Pipeline for D as a bootstrap** (the running state deleted first, so the run reads the month's
   balances and 90 days of transactions): wall and CPU of `run_date`, split into compute (DuckDB),
   state write and CRM write; every DuckDB statement timed; the Parquet files read; EXPLAIN ANALYZE
   of the slowest statements (after the timed run). Then the **pandas baseline for D**
   (`pipeline_pandas.py`, its own process): the same daily indicators from the same partitions,
   compared with what the pipeline wrote on every client (money within 0.01).
5. **D+1 right after the bootstrap** (only D's state exists: the other 88 days of the window come
   from their transactions partitions).
6. **D+1 after a year of daily runs**: the state of every date of D's 90-day window is written first
   (the engine's own compute + write_state per date, in order: what daily runs or `pipeline backfill`
   leave in the lake), then the measured run for D+1 and the pandas baseline for D+1 (no state: it
   reads everything again). D+1 is the last day of the month here, so the run also writes the month-end
   snapshots.
7. A table on stdout; JSON under `bench/results/` (git-ignored): sizes, wall / CPU / peak RSS / load
   average before and after per step, rows/s, the DuckDB statements and files read, budgets.

    .venv/bin/python bench/pipeline.py --customers 20000 --work var/bench-20k           # ~3 minutes
    .venv/bin/python bench/pipeline.py --extracts DIR --commit HEAD --work WORK        # reuse extracts
    .venv/bin/python bench/pipeline.py --extracts DIR --work WORK --skip-intake        # rerun the runs

`--commit REV` measures the app as committed (a `git archive` export first on every step's
PYTHONPATH) rather than a working tree where other work is in progress. Every step runs as a child
process (see `pipeline_steps.py`), so that its CPU seconds and peak RSS are its own. The machine may
be shared: read wall time beside CPU seconds and the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
import pyarrow.parquet as pq
from common import (
    RESULTS,
    ROOT,
    VENV_BIN,
    ThrowawayPostgres,
    app_env,
    cpu_delta,
    machine,
    say,
    tree_cpu_snapshot,
    write_json,
)


def extracts_declared() -> Any:
    """The intake's extract declarations, from the app tree being measured (see --commit)."""
    from keyclient.intake.formats import EXTRACTS

    return EXTRACTS


HERE = Path(__file__).resolve().parent
PYTHON = str(VENV_BIN / "python")
KEYCLIENT = str(VENV_BIN / "keyclient")
WARM_IMPORTS = (
    "import django; django.setup(); import keyclient.pipeline.services, keyclient.pipeline.definitions, keyclient.pipeline.targets, "
    "keyclient.valuation.services, pandas, pyarrow.parquet"
)
BUDGET_RUN_S = 60.0
BUDGET_RATIO = 10.0
BUDGET_INCREMENTAL_S = 10.0


class StepFailed(RuntimeError):
    def __init__(self, name: str, code: int, tail: str) -> None:
        super().__init__(f"step {name} failed with exit status {code}:\n{tail}")
        self.code = code


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Steps:
    """Runs each step as a child process and measures it from outside: wall, CPU (user + system of
    the child and its threads), peak RSS, load average before and after, PostgreSQL's CPU."""

    def __init__(self, work: Path, env: dict[str, str], pg: ThrowawayPostgres | None) -> None:
        self.work, self.env, self.pg = work, env, pg
        (work / "logs").mkdir(parents=True, exist_ok=True)
        (work / "steps").mkdir(parents=True, exist_ok=True)

    def run(self, name: str, argv: list[str], *, json_out: bool = True) -> dict[str, Any]:
        log, out = self.work / "logs" / f"{name}.log", self.work / "steps" / f"{name}.json"
        out.unlink(missing_ok=True)
        if json_out:
            argv = [*argv[:2], "--out", str(out), *argv[2:]]
        say(f"[{time.strftime('%H:%M:%S')}] {name} (log: {log})")
        before = loadavg()
        pg0 = tree_cpu_snapshot(self.pg.postmaster_pid()) if self.pg else {}
        started = time.perf_counter()
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                argv, env=self.env, cwd=self.work, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
            )
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            except BaseException:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
                raise
            proc.returncode = code = os.waitstatus_to_exitcode(status)
        measured: dict[str, Any] = {
            "wall_s": round(time.perf_counter() - started, 3),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "load_before": before,
            "load_after": loadavg(),
            "exit": code,
        }
        if self.pg:
            measured["postgres_cpu_s"] = round(cpu_delta(pg0, tree_cpu_snapshot(self.pg.postmaster_pid())), 3)
        if code != 0:
            tail = log.read_text(errors="replace")[-3000:]
            raise StepFailed(name, code, tail)
        reported = json.loads(out.read_text()) if json_out and out.exists() else {}
        rss_of_child(measured, reported)
        say(
            f"    {measured['wall_s']:.1f} s wall, {measured['cpu_s']:.1f} s CPU, {measured['peak_rss_mb']:,} MB"
        )
        return {"process": measured, **reported}


def rss_of_child(measured: dict[str, Any], reported: dict[str, Any]) -> None:
    """Prefer the child's own high-water mark (see pipeline_steps.peak_rss_mb): `ru_maxrss` of a
    child also counts the parent's peak RSS at the fork."""
    if "peak_rss_mb" in reported:
        measured["peak_rss_mb"] = reported.pop("peak_rss_mb")
    else:
        measured["peak_rss_mb_note"] = "ru_maxrss: includes this process's own peak RSS at the fork"


# --- the bank and the sources ---------------------------------------------------------------------


def files_of(root: Path, name: str) -> list[Path]:
    single = root / f"{name}.parquet"
    return [single] if single.exists() else sorted((root / name).glob("**/*.parquet"))


def bank_sizes(extracts: Path) -> dict[str, Any]:
    rows = {
        e.name: sum(pq.read_metadata(f).num_rows for f in files_of(extracts, e.name))
        for e in extracts_declared()
        if files_of(extracts, e.name)
    }
    pattern = str(extracts / "daily_balances" / "**" / "*.parquet")
    with duckdb.connect() as con:
        first, last = con.execute(
            f"SELECT min(date), max(date) FROM read_parquet('{pattern}', hive_partitioning = false)"
        ).fetchone()
    return {"rows": rows, "first_date": str(first), "last_date": str(last)}


# Snapshots every history load carries: the intake requires them, and each load compares the client
# master with the previous snapshot in the lake (contact points, tags).
EVERY_LOAD = ("customers", "products")


def month_end(day: date) -> date:
    following = day.replace(day=28) + timedelta(days=4)
    return following - timedelta(days=following.day)


def history_chunks(first: date, day: date, mode: str) -> list[tuple[str, date | None, date]]:
    """(source name, first date or None for 'everything before', load date) of the history loads."""
    if mode == "one":
        return [("history", None, day)]
    chunks: list[tuple[str, date | None, date]] = []
    start = first
    while start <= day:
        end = min(month_end(start), day)
        chunks.append((f"history-{start:%Y-%m}", None if not chunks else start, end))
        start = end + timedelta(days=1)
    return chunks


def prepare_sources(
    extracts: Path, target: Path, chunks: list[tuple[str, date | None, date]], next_day: date
) -> dict[str, Any]:
    """One source directory per load: each history chunk (dated rows in its range; every snapshot
    with the first chunk, the client master and catalog with every chunk), and `day/` (the snapshots
    and `next_day`'s rows). Whole files are symlinked, the rest filtered with DuckDB. Kept for reruns;
    a marker names the plan."""
    plan = {"chunks": [[n, str(lo) if lo else None, str(hi)] for n, lo, hi in chunks], "day": str(next_day)}
    marker = target / "sources.json"
    if marker.exists() and json.loads(marker.read_text()).get("plan") == plan:
        return json.loads(marker.read_text())
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    con = duckdb.connect()
    ranges: dict[Path, tuple[Any, Any]] = {}
    sources = [(name, lo, hi, n == 0) for n, (name, lo, hi) in enumerate(chunks)]
    for name, lo, hi, snapshots in [*sources, ("day", next_day, next_day, True)]:
        out = target / name
        for extract in extracts_declared():
            for index, path in enumerate(files_of(extracts, extract.name)):
                rel = path.relative_to(extracts)
                if extract.kind != "dated":
                    if snapshots or extract.name in EVERY_LOAD:
                        (out / rel).parent.mkdir(parents=True, exist_ok=True)
                        (out / rel).symlink_to(path)
                    continue
                column = extract.date_column
                if path not in ranges:
                    ranges[path] = con.execute(
                        f"SELECT min({column}), max({column}) FROM read_parquet('{path}')"
                    ).fetchone()
                low, high = ranges[path]
                if low is None or high < (lo or low) or low > hi:
                    continue
                dest = out / extract.name / f"part-{index:03d}.parquet"
                dest.parent.mkdir(parents=True, exist_ok=True)
                if low >= (lo or low) and high <= hi:
                    dest.symlink_to(path)
                else:
                    where = f"{column} <= DATE '{hi}'" + (f" AND {column} >= DATE '{lo}'" if lo else "")
                    con.execute(f"COPY (SELECT * FROM read_parquet('{path}') WHERE {where}) TO '{dest}'")
    con.close()  # the steps are forked from this process: keep it small
    info = {"plan": plan, "wall_s": round(time.perf_counter() - started, 1)}
    marker.write_text(json.dumps(info))
    return info


# --- steps ----------------------------------------------------------------------------------------


def steps_script(*args: str) -> list[str]:
    return [PYTHON, str(HERE / "pipeline_steps.py"), *args]


def run_pipeline(
    steps: Steps, name: str, day: date, *, bootstrap: bool, explain: int = 0, export: Path | None = None
) -> dict[str, Any]:
    argv = steps_script("run", "--date", str(day), "--clear")
    if export:
        argv += ["--export", str(export)]
    if bootstrap:
        argv.append("--bootstrap")
    if explain:
        argv += ["--explain", str(explain)]
    return steps.run(name, argv)


def run_pandas(
    steps: Steps, name: str, lake: Path, day: date, pricing: dict[str, Any], compare: Path
) -> dict[str, Any]:
    argv = [
        PYTHON, str(HERE / "pipeline_pandas.py"), "--lake", str(lake), "--date", str(day),
        "--pricing", json.dumps(pricing), "--compare", str(compare),
    ]  # fmt: skip
    try:
        return steps.run(name, argv)
    except StepFailed as exc:  # e.g. killed for lack of memory: record it and carry on
        say(str(exc))
        return {"failed": True, "exit": exc.code, "error": str(exc)[-1500:]}


def combine(loads: list[dict[str, Any]]) -> dict[str, Any]:
    """The history loads as one step: sums, the largest peak RSS, load average around all of them."""
    steps: dict[str, dict[str, float]] = {}
    for load in loads:
        for call in load["steps"]:
            entry = steps.setdefault(call["step"], {"step": call["step"], "wall_s": 0.0, "cpu_s": 0.0})
            entry["wall_s"] = round(entry["wall_s"] + call["wall_s"], 3)
            entry["cpu_s"] = round(entry["cpu_s"] + call["cpu_s"], 3)
    counts: dict[str, dict[str, int]] = {}
    for load in loads:
        for name, c in load["counts"].items():
            if isinstance(c, dict):
                entry = counts.setdefault(name, {})
                for k, v in c.items():
                    entry[k] = entry.get(k, 0) + v
    first, last = loads[0]["process"], loads[-1]["process"]
    return {
        "loads": len(loads),
        "wall_s": round(sum(x["wall_s"] for x in loads), 3),
        "cpu_s": round(sum(x["cpu_s"] for x in loads), 3),
        "rows_read": sum(x["rows_read"] for x in loads),
        "rows_accepted": sum(x["rows_accepted"] for x in loads),
        "rows_rejected": sum(x["rows_rejected"] for x in loads),
        "counts": counts,
        "steps": list(steps.values()),
        "process": {
            "wall_s": round(sum(x["process"]["wall_s"] for x in loads), 3),
            "cpu_s": round(sum(x["process"]["cpu_s"] for x in loads), 3),
            "peak_rss_mb": max(x["process"]["peak_rss_mb"] for x in loads),
            "load_before": first["load_before"],
            "load_after": last["load_after"],
            **(
                {"postgres_cpu_s": round(sum(x["process"]["postgres_cpu_s"] for x in loads), 3)}
                if "postgres_cpu_s" in first
                else {}
            ),
        },
        "chunks": [
            {"date": x["date"], "wall_s": x["wall_s"], "cpu_s": x["cpu_s"], "rows_read": x["rows_read"],
             "peak_rss_mb": x["process"]["peak_rss_mb"], "load_before": x["process"]["load_before"]}
            for x in loads
        ],
    }  # fmt: skip


def fresh_database(var_dir: Path, pg: ThrowawayPostgres | None) -> None:
    for name in ("keyclient.sqlite3", "keyclient.sqlite3-wal", "keyclient.sqlite3-shm"):
        (var_dir / name).unlink(missing_ok=True)
    shutil.rmtree(var_dir / "lake", ignore_errors=True)
    if pg:
        with pg.connect("postgres") as con:
            con.execute('DROP DATABASE IF EXISTS "keyclient"')
        pg.ensure_database()


def git_state(app_tree: Path | None) -> dict[str, Any]:
    """What code was measured: an exported commit (--commit), or this checkout's HEAD and any
    uncommitted change under keyclient/ (other work may be in progress)."""
    if app_tree:
        return {"tree": "export", "commit": app_tree.name, "dirty": []}
    done = subprocess.run(
        ["git", "status", "--short", "--", "keyclient"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return {"tree": "checkout", "dirty": [line for line in done.stdout.splitlines() if line.strip()]}


def export_commit(rev: str, work: Path) -> Path:
    """`git archive` of `rev` into WORK/src/<short hash> (read-only for the repository), once."""
    short = subprocess.run(
        ["git", "rev-parse", "--short", f"{rev}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = work / "src" / short
    if not (tree / "keyclient" / "__init__.py").exists():
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", short], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def intake(
    args: argparse.Namespace,
    steps: Steps,
    work: Path,
    extracts: Path,
    chunks: list[Any],
    next_day: date,
    result: dict[str, Any],
    pg: ThrowawayPostgres | None,
) -> None:
    """Fresh database and lake, org tree and staff, the history loads, then the next day's load."""
    state_file = work / "loaded.json"
    loaded = json.loads(state_file.read_text()) if state_file.exists() else {}
    wanted = {"extracts": str(extracts), "sources": result["sources"]["plan"], "database": result["database"]}
    if args.skip_intake:
        if {k: loaded.get(k) for k in wanted} != wanted or not loaded.get("complete"):
            raise SystemExit(
                f"--skip-intake: {work} holds no complete load of these extracts and dates ({state_file})"
            )
        result["steps"].update(loaded["steps"])
        result["intake_reused"] = {"commit": loaded.get("commit")}
        # The code measured now may bring migrations the loaded database lacks.
        s = result["steps"]
        s["migrate_rerun"] = steps.run(
            "migrate_rerun", [KEYCLIENT, "migrate", "--no-input", "-v", "0"], json_out=False
        )
        return
    state_file.unlink(missing_ok=True)
    s = result["steps"]
    resume = args.resume_intake
    if resume and resume not in [name for name, _lo, _hi in chunks]:
        raise SystemExit(f"--resume-intake: no history load named {resume} in {[c[0] for c in chunks]}")
    if not resume:
        fresh_database(work / "var", pg)
    s["migrate"] = steps.run("migrate", [KEYCLIENT, "migrate", "--no-input", "-v", "0"], json_out=False)
    if not resume:
        s["org"] = steps.run("org", steps_script("org", str(extracts)))
    loads = []
    for name, _lo, hi in chunks:
        if resume and name < resume:  # loaded by the interrupted run: its measurement as it reported it
            earlier = json.loads((work / "steps" / f"intake_{name}.json").read_text())
            earlier.setdefault(
                "process",
                {"wall_s": earlier["wall_s"], "cpu_s": earlier["cpu_s"], "peak_rss_mb": earlier.get("peak_rss_mb", 0),
                 "load_before": [float("nan")], "load_after": [float("nan")]},
            )  # fmt: skip
            loads.append(earlier)
            continue
        resume = None
        loads.append(
            steps.run(
                f"intake_{name}",
                steps_script("intake", str(work / "sources" / name), "--date", str(hi), "--history"),
            )
        )
    if args.resume_intake:
        result["intake_resumed_from"] = args.resume_intake
    s["intake_history"] = combine(loads)
    s["intake_day"] = steps.run(
        "intake_day", steps_script("intake", str(work / "sources" / "day"), "--date", str(next_day))
    )
    keep = {k: s[k] for k in ("migrate", "org", "intake_history", "intake_day") if k in s}
    commit = result["machine"].get("git_commit")
    state_file.write_text(json.dumps({**wanted, "complete": True, "commit": commit, "steps": keep}, indent=2))


def bench(
    args: argparse.Namespace, work: Path, pg: ThrowawayPostgres | None, app_tree: Path | None
) -> dict[str, Any]:
    var_dir = work / "var"
    lake = var_dir / "lake"
    extra = {"PYTHONPATH": str(app_tree)} if app_tree else {}
    env = app_env(pg.url() if pg else "", var_dir, KEYCLIENT_LAKE_DIR=str(lake), **extra)
    if not pg:
        env.pop("DATABASE_URL")  # the embedded default: SQLite under KEYCLIENT_VAR_DIR
    steps = Steps(work, env, pg)
    result: dict[str, Any] = {
        "machine": machine(),
        "git": git_state(app_tree),
        "argv": sys.argv[1:],
        "database": "postgresql" if pg else "sqlite",
        "budgets": {"run_s": BUDGET_RUN_S, "ratio": BUDGET_RATIO, "incremental_s": BUDGET_INCREMENTAL_S},
        "steps": {},
    }
    if app_tree:
        result["machine"]["git_commit"] = app_tree.name  # the export measured, not this checkout's HEAD
    if pg:
        result["postgres"] = pg.version()
    s = result["steps"]

    # 1. The bank.
    extracts = (args.extracts or work / "extracts").resolve()
    if not (extracts / "customers.parquet").exists():
        if args.extracts:
            raise SystemExit(
                f"{extracts} holds no customers.parquet (Parquet extracts of `keyclient demo generate`)"
            )
        s["generate"] = steps.run(
            "generate",
            [KEYCLIENT, "demo", "generate", "--customers", str(args.customers), "--seed", str(args.seed),
             "--months", str(args.months), "--out", str(extracts)],
            json_out=False,
        )  # fmt: skip
    sizes = result["bank"] = bank_sizes(extracts)
    last = date.fromisoformat(sizes["last_date"])
    day = args.date or last - timedelta(days=1)
    next_day = day + timedelta(days=1)
    window_start = day - timedelta(days=89)  # D's window: D-89..D
    result["dates"] = {"run": str(day), "incremental": str(next_day), "state_from": str(window_start)}
    say(
        f"bank: {sizes['rows'].get('customers', 0):,} clients, {sizes['rows'].get('transactions', 0):,} transactions, "
        f"{sizes['rows'].get('daily_balances', 0):,} daily balances {sizes['first_date']}..{sizes['last_date']}"
    )
    chunks = history_chunks(date.fromisoformat(sizes["first_date"]), day, args.history_chunks)
    result["sources"] = prepare_sources(extracts, work / "sources", chunks, next_day)

    # 2. Intake: the history up to D (one load or one per month), then D+1 alone.
    intake(args, steps, work, extracts, chunks, next_day, result, pg)

    # The bytecode caches of everything a run imports (see common.app_env), written once, untimed.
    s["bytecode"] = steps.run("bytecode", [PYTHON, "-c", WARM_IMPORTS], json_out=False)

    # 3. Pipeline for D as a bootstrap, and the pandas baseline for D.
    exports = work / "exports"
    run = s["run_bootstrap"] = run_pipeline(
        steps, "run_bootstrap", day, bootstrap=True, explain=args.explain, export=exports / f"{day}.parquet"
    )
    if not args.no_pandas:
        s["pandas_run"] = run_pandas(
            steps, "pandas_run", lake, day, run["pricing"], exports / f"{day}.parquet"
        )

    # 4. D+1 right after the bootstrap: only D's state exists, the window's other days come from
    #    their transactions partitions.
    s["run_after_bootstrap"] = run_pipeline(steps, "run_after_bootstrap", next_day, bootstrap=False)

    # 5. After a year of daily runs: the state of every date of D's 90-day window (targets.compute_duckdb +
    #    write_state per date, in order), then D again (a mid-month daily run; its results must equal
    #    the bootstrap's), then D+1 (the month end) and the pandas baseline for D+1.
    s["state_warmup"] = steps.run(
        "state_warmup",
        steps_script("state", "--from", str(window_start), "--to", str(day - timedelta(days=1))),
    )
    s["run_daily"] = run_pipeline(
        steps, "run_daily", day, bootstrap=False, export=exports / f"{day}-state.parquet"
    )
    s["run_daily"]["equal_to_bootstrap"] = same_results(
        exports / f"{day}.parquet", exports / f"{day}-state.parquet"
    )
    inc = s["run_incremental"] = run_pipeline(
        steps, "run_incremental", next_day, bootstrap=False, export=exports / f"{next_day}.parquet"
    )
    if not args.no_pandas:
        s["pandas_incremental"] = run_pandas(
            steps, "pandas_incremental", lake, next_day, inc["pricing"], exports / f"{next_day}.parquet"
        )
    result["verdict"] = verdict(result)
    result["machine"]["load_avg_end"] = loadavg()
    result["git_end"] = git_state(app_tree)
    return result


def same_results(first: Path, second: Path) -> dict[str, Any]:
    """Two exports of the same date, client by client: per indicator the clients that differ and the
    largest difference. Money may differ by one cent where an average falls on a half cent and the
    two runs summed in a different order; last_txn_date may differ because a run with state remembers
    recency beyond the 90 days a bootstrap reads."""
    with duckdb.connect() as con:
        names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{first}')").fetchall()]
        numbers = [n for n in names if n not in ("customer_no", "last_txn_date")]
        row = con.execute(
            "SELECT count(*) FILTER (WHERE a.customer_no IS NULL OR b.customer_no IS NULL), "
            + ", ".join(
                f"count(*) FILTER (WHERE a.{n} IS DISTINCT FROM b.{n}), coalesce(max(abs(a.{n} - b.{n})), 0)"
                for n in numbers
            )
            + ", count(*) FILTER (WHERE a.last_txn_date IS DISTINCT FROM b.last_txn_date)"
            + f" FROM read_parquet('{first}') a FULL JOIN read_parquet('{second}') b USING (customer_no)"
        ).fetchone()
    differ = {
        n: {"clients": row[1 + 2 * i], "max_abs_diff": round(float(row[2 + 2 * i]), 4)}
        for i, n in enumerate(numbers)
        if row[1 + 2 * i]
    }
    if row[-1]:
        differ["last_txn_date"] = {"clients": row[-1]}
    within_a_cent = all(d.get("max_abs_diff", 0.0) <= 0.0100001 for d in differ.values())
    return {"one_side_only": row[0], "differ": differ, "equal_within_a_cent": row[0] == 0 and within_a_cent}


def verdict(result: dict[str, Any]) -> dict[str, Any]:
    """The budgets: every kind of date's full run < 60 s (the bootstrap, D with the state a year of
    daily runs leaves, the month end); the next date after the loaded year (D with that state) < 10 s;
    that run >= 10x faster than the pandas baseline for the same date. Other ratios are recorded."""
    s = result["steps"]
    run, inc, daily = s["run_bootstrap"], s["run_incremental"], s["run_daily"]
    out: dict[str, Any] = {
        "run_under_60s": all(r["wall_s"] < BUDGET_RUN_S for r in (run, daily, inc)),
        "next_date_under_10s": daily["wall_s"] < BUDGET_INCREMENTAL_S,
        "month_end_under_60s": inc["wall_s"] < BUDGET_RUN_S,
    }
    for key, pipeline in (("pandas_run", run), ("pandas_incremental", inc)):
        pandas = s.get(key)
        if pandas and not pandas.get("failed"):
            out[f"{key}_ratio"] = round(pandas["wall_s"] / pipeline["wall_s"], 2)
            out[f"{key}_ratio_compute"] = round(pandas["wall_s"] / pipeline["compute"]["wall_s"], 2)
            out[f"{key}_equal"] = pandas["compare"]["equal"]
    if s.get("pandas_run") and not s["pandas_run"].get("failed"):
        out["pandas_run_ratio_daily"] = round(s["pandas_run"]["wall_s"] / daily["wall_s"], 2)
        out["pandas_run_ratio_daily_compute"] = round(
            s["pandas_run"]["compute"]["wall_s"] / daily["compute"]["wall_s"], 2
        )
        out["pandas_10x"] = out["pandas_run_ratio_daily"] >= BUDGET_RATIO
    return out


# --- report ---------------------------------------------------------------------------------------

ROWS_LABELS = (
    ("intake_history", "intake history (--history)"),
    ("intake_day", "intake D+1 (one day)"),
    ("run_bootstrap", "pipeline D, bootstrap"),
    ("pandas_run", "pandas baseline D"),
    ("run_after_bootstrap", "pipeline D+1, D's state only"),
    ("run_daily", "pipeline D, 90 days' state"),
    ("run_incremental", "pipeline D+1, 90 days' state"),
    ("pandas_incremental", "pandas baseline D+1"),
)


def rows_of(name: str, step: dict[str, Any]) -> int:
    if name.startswith("intake"):
        return int(step["rows_read"])
    if name.startswith("run"):
        return int(step["reads"]["rows"])
    return int(step["rows_read_total"])


def report(result: dict[str, Any]) -> None:
    bank, steps, m = result["bank"], result["steps"], result["machine"]
    rows = bank["rows"]
    print(
        f"\nkeyclient pipeline benchmark · {result['database']} · commit {m.get('git_commit')}"
        f"{' + uncommitted changes' if result['git']['dirty'] else ''} · {m['cpus']} cores, {m.get('mem_gib')} GiB"
    )
    print(
        f"bank: {rows.get('customers', 0):,} clients · {rows.get('transactions', 0):,} transactions · "
        f"{rows.get('daily_balances', 0):,} daily balance rows ({bank['first_date']}..{bank['last_date']}) · "
        f"{rows.get('holdings', 0):,} holdings · {rows.get('accounts', 0):,} accounts"
    )
    print(f"D = {result['dates']['run']}, D+1 = {result['dates']['incremental']}")
    if reused := result.get("intake_reused"):
        print(
            f"intake: loaded by an earlier run (commit {reused.get('commit') or 'not recorded'}), not measured now"
        )
    print()
    head = f"{'step':<32}{'wall s':>9}{'cpu s':>9}{'rows read':>15}{'rows/s':>13}{'RSS MB':>9}  load avg before → after"
    print(head)
    print("-" * len(head))
    for name, label in ROWS_LABELS:
        step = steps.get(name)
        if not step:
            continue
        if step.get("failed"):
            print(f"{label:<32}  failed (exit {step['exit']})")
            continue
        n, proc = rows_of(name, step), step["process"]
        print(
            f"{label:<32}{step['wall_s']:>9.1f}{step['cpu_s']:>9.1f}{n:>15,}{n / step['wall_s']:>13,.0f}"
            f"{proc['peak_rss_mb']:>9,}  {(proc['load_before'] or ['?'])[0]} → {(proc['load_after'] or ['?'])[0]}"
        )
    print("(wall/cpu s: inside the step's process, without interpreter start; RSS: the process's peak)")
    warm = steps.get("state_warmup")
    if warm:
        per_day = sorted(d["wall_s"] for d in warm["days"])
        print(
            f"\nstate warm-up {warm['from']}..{warm['to']}: {len(per_day)} dates in {warm['wall_s']:.1f} s "
            f"(first {warm['days'][0]['wall_s']:.1f} s, median {per_day[len(per_day) // 2]:.1f} s per date)"
        )
    for name in ("run_bootstrap", "run_after_bootstrap", "run_daily", "run_incremental"):
        step = steps[name]
        crm, valuation = step["crm_write"], step.get("month_end_valuation", {}).get("wall_s", 0.0)
        print(
            f"\n{name}: compute {step['compute']['wall_s']:.1f} s (cpu {step['compute']['cpu_s']:.1f}) · state "
            f"{step['state_write']['wall_s']:.1f} s · CRM write {crm['wall_s']:.1f} s "
            f"(inserts {crm['inserts_wall_s']:.1f} s)"
            + (f" · month-end valuation {valuation:.1f} s" if valuation else "")
            + f" · process {step['process']['wall_s']:.1f} s\n    written {step['counts']}"
        )
        if "equal_to_bootstrap" in step:
            print(f"    equal to the bootstrap run: {step['equal_to_bootstrap']}")
        for stmt in sorted(step["statements"], key=lambda s: -s["wall_s"])[:6]:
            print(f"    {stmt['step'][:44]:<46}{stmt['wall_s']:>8.2f} s{stmt['cpu_s']:>8.2f} cpu s")
        for call in step["steps"]:
            if call["step"].startswith("crm") or call["step"].startswith("month"):
                print(f"    {call['step'][:44]:<46}{call['wall_s']:>8.2f} s{call['cpu_s']:>8.2f} cpu s")
        for dataset, read in step["reads"]["datasets"].items():
            print(
                f"    read {dataset:<22}{read['files']:>4} files {read['rows']:>13,} rows "
                f"(scanned {read['rows_scanned']:,}) {read['first_date']}..{read['last_date']}"
            )
    for name in ("pandas_run", "pandas_incremental"):
        step = steps.get(name)
        if step and not step.get("failed"):
            cmp = step["compare"]
            beyond = cmp["columns"].get("last_txn_date", {}).get("beyond_window", 0)
            print(
                f"\n{name}: read {step['read']['wall_s']:.1f} s + compute {step['compute']['wall_s']:.1f} s · "
                f"{step['clients']:,} clients · equal to the pipeline: {cmp['equal']} ({cmp['mismatches']} mismatches, "
                f"{cmp['only_pandas']} / {cmp['only_pipeline']} clients on one side only"
                + (f"; {beyond:,} recency dates older than the baseline's 90 days" if beyond else "")
                + ")"
            )
    intake = steps.get("intake_history")
    if intake and "steps" in intake:
        print(f"\nintake history: {intake.get('loads', 1)} load(s), per step (summed):")
        for call in intake["steps"]:
            if call["wall_s"] >= 0.05:
                print(f"    {call['step']:<32}{call['wall_s']:>9.1f} s{call['cpu_s']:>9.1f} cpu s")
    v = result["verdict"]
    print("\nbudgets:")
    walls = ", ".join(
        f"{label} {steps[name]['wall_s']:.1f} s"
        for name, label in (
            ("run_bootstrap", "bootstrap"),
            ("run_daily", "D with state"),
            ("run_incremental", "month end"),
        )
    )
    print(
        f"  full run for one date < {BUDGET_RUN_S:.0f} s: {'PASS' if v['run_under_60s'] else 'FAIL'} ({walls})"
    )
    print(
        f"  the next date after the loaded year (D with state) < {BUDGET_INCREMENTAL_S:.0f} s: "
        f"{'PASS' if v['next_date_under_10s'] else 'FAIL'} ({steps['run_daily']['wall_s']:.1f} s)"
    )
    if "pandas_10x" in v:
        print(
            f"  >= {BUDGET_RATIO:.0f}x faster than pandas: {'PASS' if v['pandas_10x'] else 'FAIL'} "
            f"(D with state: {v['pandas_run_ratio_daily']}x, compute vs compute "
            f"{v['pandas_run_ratio_daily_compute']}x; D bootstrap {v['pandas_run_ratio']}x"
            + (f"; month end {v['pandas_incremental_ratio']}x" if "pandas_incremental_ratio" in v else "")
            + ")"
        )
    for plan in steps["run_bootstrap"].get("explain", []):
        print(
            f"\nEXPLAIN ANALYZE {plan['step']} (run {plan['run_wall_s']} s; profiled {plan['total_s']} s, "
            f"cpu {plan['cpu_s']} s, {plan['rows_scanned'] or 0:,} rows scanned, peak buffer {plan['peak_buffer_mb']} MB)"
        )
        for op, e in list(plan["by_operator"].items())[:6]:
            print(f"    {op:<28}{e['count']:>5} ops{e['seconds']:>9.2f} s{e['rows']:>15,} rows")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--customers", type=int, default=1_000_000, help="clients to generate (not with --extracts)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument(
        "--extracts", type=Path, help="reuse the Parquet extracts of `keyclient demo generate` here"
    )
    parser.add_argument("--work", type=Path, required=True, help="database, lake, sources and logs (kept)")
    parser.add_argument(
        "--date", type=date.fromisoformat, help="the run date D (default: the last balance date - 1)"
    )
    parser.add_argument(
        "--skip-intake", action="store_true", help="reuse the database and lake loaded by a previous run"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="PostgreSQL 15 (throwaway, in WORK/pg) instead of SQLite"
    )
    parser.add_argument(
        "--explain", type=int, default=3, help="EXPLAIN ANALYZE the N slowest statements of the bootstrap"
    )
    parser.add_argument(
        "--resume-intake",
        metavar="LOAD",
        help="an interrupted intake: keep the database and lake, run the history loads from LOAD on "
        "(e.g. history-2026-07; the earlier loads' figures are read from WORK/steps/)",
    )
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    parser.add_argument(
        "--history-chunks",
        choices=["month", "one"],
        default="month",
        help="load the history one month per load (default) or in one load (needs ~80 GB at 1M clients)",
    )
    parser.add_argument(
        "--commit",
        help="measure the app as committed at this revision (git archive into WORK/src/, first on every "
        "step's PYTHONPATH) instead of the working tree",
    )
    parser.add_argument("--json", type=Path, help="default: bench/results/pipeline_<clients>_<database>.json")
    args = parser.parse_args(argv)

    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    app_tree = export_commit(args.commit, work) if args.commit else None
    if app_tree:
        sys.path.insert(0, str(app_tree))  # the extract declarations of the measured code
    pg = ThrowawayPostgres(keep=work / "pg").start() if args.postgres else None
    try:
        if pg:
            pg.ensure_database()
        result = bench(args, work, pg, app_tree)
    finally:
        if pg:
            pg.stop()
    clients = result["bank"]["rows"].get("customers", 0)
    path = write_json(args.json or RESULTS / f"pipeline_{clients}_{result['database']}.json", result)
    report(result)
    print(f"\nJSON: {path}")
    v = result["verdict"]
    held = v["run_under_60s"] and v["next_date_under_10s"] and v.get("pandas_10x", True)
    return 0 if held else 1


if __name__ == "__main__":
    raise SystemExit(main())
