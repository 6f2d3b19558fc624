"""kill -9 during a load, then a re-run: the lake and the CRM equal a clean run.

The load runs in a subprocess against its own SQLite file and lake; `KEYCLIENT_CRASH_AT` makes it
SIGKILL itself at a named point (deterministic, unlike a timer)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from keyclient.customers.models import Customer
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, write_day

ROOT = Path(__file__).resolve().parents[3]
SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.personas import build_bank
build_bank()
"""
V2 = {
    "daily_balances": GOOD["daily_balances"].replace("200000.5", "777.25"),
    "customers": GOOD["customers"].replace("周八", "周八八"),
}


def env(tmp_path: Path, crash: str = "") -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keyclient.config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        "KEYCLIENT_LAKE_DIR": str(tmp_path / "lake"),
        "KEYCLIENT_CRASH_AT": crash,
    }


def keyclient(tmp_path: Path, *args: str, crash: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "keyclient.cli", *args], cwd=ROOT, env=env(tmp_path, crash),
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def snapshot(lake: Path) -> dict[str, list[tuple]]:
    found = {}
    for folder in sorted(lake.glob("*/date=*")):
        if folder.parent.name.startswith("_"):
            continue
        rows = duckdb.sql(
            f"SELECT * FROM read_parquet('{folder}/*.parquet', hive_partitioning = false) ORDER BY ALL"
        )
        found[f"{folder.parent.name}/{folder.name}"] = rows.fetchall()
    return found


def crm_clients(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT customer_no, name, status FROM customers_customer ORDER BY customer_no"
        ).fetchall()


def test_kill9_mid_load_then_rerun_equals_clean_run(bank, settings, tmp_path: Path) -> None:
    v1, v2 = write_day(tmp_path / "v1"), write_day(tmp_path / "v2", V2)
    setup = subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env=env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert setup.returncode == 0, setup.stderr
    load = ["intake", "load", "--date", str(LOAD_DATE)]
    assert keyclient(tmp_path, *load, str(v1)).returncode == 0
    lake, db = tmp_path / "lake", tmp_path / "crm.sqlite3"
    after_v1 = (snapshot(lake), crm_clients(db))

    # Killed after the CRM upsert, before the lake commit: the transaction never committed.
    crashed = keyclient(tmp_path, *load, str(v2), crash="before_lake_commit")
    assert crashed.returncode == -9, crashed.stderr
    assert (snapshot(lake), crm_clients(db)) == after_v1  # the previous state, intact

    # Killed half-way through moving the partitions in: the next run rolls the commit forward.
    crashed = keyclient(tmp_path, *load, str(v2), crash="mid_apply")
    assert crashed.returncode == -9, crashed.stderr
    rerun = keyclient(tmp_path, *load, str(v2))
    assert rerun.returncode == 0, rerun.stderr
    assert not any((lake / "_staging").iterdir())

    settings.KEYCLIENT_LAKE_DIR = tmp_path / "clean"
    load_extracts(source=v1, load_date=LOAD_DATE)
    load_extracts(source=v2, load_date=LOAD_DATE)
    assert snapshot(lake) == snapshot(tmp_path / "clean")
    assert snapshot(lake)[f"daily_balances/date={LOAD_DATE}"][1] == (
        "7100000001",
        777.25,
        0.0,
        10000.0,
        "CNY",
        1.0,
        None,
        None,
        None,
    )
    clean = sorted(Customer.objects.values_list("customer_no", "name", "status"))
    assert crm_clients(db) == clean
    assert ("7100000001", "周八八", "active") in clean


@pytest.mark.parametrize("crash", ["after_commit_marker", "mid_apply"])
def test_recover_rolls_a_committed_staging_forward(crash: str, tmp_path: Path) -> None:
    from keyclient.intake import lake as lake_module

    lake = tmp_path / "lake"
    for version in ("old", "new"):
        staging = lake_module.new_staging(lake)
        for name in ("a", "b"):
            folder = staging / name / "date=2026-10-31"
            folder.mkdir(parents=True)
            (folder / "part-0.parquet").write_text(version)
        if version == "old":
            lake_module.commit(staging, lake)
    marker = staging / lake_module.COMMIT
    marker.write_text("a/date=2026-10-31\nb/date=2026-10-31")
    if crash == "mid_apply":  # simulate the state a kill leaves: a moved, b still staged
        (lake / "_trash" / staging.name / "a").mkdir(parents=True)
        os.replace(lake / "a" / "date=2026-10-31", lake / "_trash" / staging.name / "a" / "date=2026-10-31")
        os.replace(staging / "a" / "date=2026-10-31", lake / "a" / "date=2026-10-31")
    assert lake_module.recover(lake) == [f"rolled forward {staging.name}"]
    assert [(lake / n / "date=2026-10-31" / "part-0.parquet").read_text() for n in "ab"] == ["new", "new"]
    assert not any((lake / "_staging").iterdir()) and not (lake / "_trash").exists()


def test_recover_discards_an_uncommitted_staging(tmp_path: Path) -> None:
    from keyclient.intake import lake as lake_module

    lake = tmp_path / "lake"
    staging = lake_module.new_staging(lake)
    (staging / "a" / "date=2026-10-31").mkdir(parents=True)
    (staging / "a" / "date=2026-10-31" / "part-0.parquet").write_text("half")
    assert lake_module.recover(lake) == [f"discarded {staging.name}"]
    assert not (lake / "a").exists()
