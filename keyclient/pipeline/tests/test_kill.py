"""kill -9 during a pipeline run, then a re-run: the CRM rows equal a clean run's."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from keyclient.pipeline.models import ClientDailyIndicator
from keyclient.pipeline.services import run_date
from keyclient.pipeline.tests.test_pipeline import D, build_lake

ROOT = Path(__file__).resolve().parents[3]
SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.personas import build_bank
build_bank()
call_command("pipeline", "run", "--date", "2026-10-30")
"""
COLUMNS = "aum, aum_mtd_avg, inflow_30d, outflow_90d, outflow_other_banks_30d, txn_count_90d, last_txn_date, contribution_mtd"

PREFIXED = ", ".join(f"i.{c.strip()}" for c in COLUMNS.split(","))


def env(tmp_path: Path, crash: str = "") -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keyclient.config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        "KEYCLIENT_LAKE_DIR": str(tmp_path / "lake"),
        "KEYCLIENT_CRASH_AT": crash,
    }


def run(tmp_path: Path, *args: str, crash: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env(tmp_path, crash),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def normal(row: tuple) -> tuple:
    """SQLite hands back numbers as int/float and dates as text; the ORM as Decimal and date."""
    return tuple(round(float(v), 2) if isinstance(v, int | float | Decimal) else str(v) for v in row)


def rows(db: Path, day: date) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(
            f"SELECT c.customer_no, {PREFIXED} FROM pipeline_clientdailyindicator i "
            "JOIN customers_customer c ON c.id = i.customer_id WHERE i.date = ? ORDER BY 1",
            [str(day)],
        ).fetchall()


def test_kill9_mid_run_then_rerun_equals_clean_run(bank, settings, tmp_path: Path) -> None:
    build_lake(tmp_path / "lake")
    setup = run(tmp_path, "-c", SETUP)
    assert setup.returncode == 0, setup.stderr
    db = tmp_path / "crm.sqlite3"
    command = ["-m", "keyclient.cli", "pipeline", "run", "--date", str(D)]
    for crash in ("pipeline_after_state", "pipeline_mid_write"):
        crashed = run(tmp_path, *command, crash=crash)
        assert crashed.returncode == -9, crashed.stderr
        assert rows(db, D) == []  # the date's transaction never committed
    assert len(rows(db, date(2026, 10, 30))) == 2
    rerun = run(tmp_path, *command)
    assert rerun.returncode == 0, rerun.stderr

    settings.KEYCLIENT_LAKE_DIR = tmp_path / "clean"
    build_lake(tmp_path / "clean")
    run_date(date(2026, 10, 30))
    run_date(D)
    names = [c.strip() for c in COLUMNS.split(",")]
    clean = [
        (r["customer__customer_no"], *(r[n] for n in names))
        for r in ClientDailyIndicator.objects.filter(date=D)
        .order_by("customer__customer_no")
        .values("customer__customer_no", *names)
    ]
    assert [normal(r) for r in rows(db, D)] == [normal(r) for r in clean]
    assert len(clean) == 2
