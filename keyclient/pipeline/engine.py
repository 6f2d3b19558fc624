"""The pipeline's lake and running state: partitions, and the state kept per business date under
`<lake>/pipeline/date=<D>/` (small: one row per client, or per client and bank):

  flows.parquet       the day's credits, debits, other-bank debits, fee income and count per client
  bank_flows.parquet  the day's transfers out per client and destination bank
  mtd.parquet         month-to-date sums (days, AUM, deposits, loans, contribution)
  recency.parquet     last transaction date per client
  windows.parquet     30/90-day sums and counts per client
  carried.parquet     snapshot balances only: each client's latest balances on or before D (as_of)

The DuckDB engine (`targets.compute_duckdb`) runs the one definition of the inputs (`definitions.py`,
Ibis compiled to DuckDB SQL) and leaves the results and the day's state as temp tables; `write_state` swaps the
day's state into the lake (a directory rename: a crash leaves the previous state), `recover_state`
cleans up after a crash. A run for D reads the balances and transactions of D and the state of D-1
(and the flows of the days leaving the windows); a date without state is read from its partitions.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path

import duckdb

STATE = "pipeline"
STATE_TABLES = ("flows", "bank_flows", "mtd", "recency", "windows")  # kept per date (see above)
SNAPSHOT_STATE = "carried"  # kept as well when the balances are snapshots


class PipelineError(Exception):
    """The run cannot go on (e.g. no balances landed for the date)."""


def lit(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def part(lake: Path, extract: str, day: date) -> Path | None:
    folder = lake / extract / f"date={day}"
    return folder if any(folder.glob("*.parquet")) else None


def latest_part(lake: Path, extract: str, day: date) -> Path | None:
    """The latest partition on or before `day` (snapshots: catalog, accounts, holdings)."""
    found = sorted(
        p for p in (lake / extract).glob("date=*") if p.name[5:] <= str(day) and any(p.glob("*.parquet"))
    )
    return found[-1] if found else None


def scan(folder: Path) -> str:
    return f"read_parquet({lit(folder / '*.parquet')}, hive_partitioning = false)"


def state_dir(lake: Path, day: date) -> Path:
    return lake / STATE / f"date={day}"


def write_state(con: duckdb.DuckDBPyConnection, lake: Path, day: date) -> None:
    """Swap the day's state in: written to a temporary directory, then renamed into place."""
    root = lake / STATE
    root.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    tmp = root / f"_tmp-{token}"
    tmp.mkdir()
    carried = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [SNAPSHOT_STATE]
    ).fetchall()[0][0]
    for table in STATE_TABLES + ((SNAPSHOT_STATE,) if carried else ()):
        con.execute(f"COPY {table} TO {lit(tmp / f'{table}.parquet')} (FORMAT parquet)")
    target = state_dir(lake, day)
    old = root / f"_old-{token}-date={day}"
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def recover_state(lake: Path) -> None:
    """After a crash: drop unfinished state, put back a previous state whose replacement never landed."""
    root = lake / STATE
    if not root.exists():
        return
    for tmp in root.glob("_tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    for old in root.glob("_old-*"):
        target = root / old.name.split("-", 2)[2]
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(old, target)
