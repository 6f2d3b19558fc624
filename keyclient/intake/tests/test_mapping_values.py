"""What a bank's mapping file and file names hold reaches DuckDB as data: quotes in code maps, in a file
name or in a date format load like any other character."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from keyclient.customers.models import Customer
from keyclient.intake.models import IntakeJob
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, read_rejects, write_day


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


def test_code_maps_and_a_file_name_with_quotes(bank, lake: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "in"
    customers = GOOD["customers"].replace(",individual,", ",P'1,")
    write_day(source)
    (source / "customers.csv").unlink()
    (source / "cust'omers.csv").write_text(customers, encoding="utf-8")
    mapping = tmp_path / "bank.toml"
    mapping.write_text(
        '[files]\ncustomers = "cust\'*.csv"\n'
        '[codes.customers.kind]\n"P\'1" = "individual"\n"C\'2" = "corporate"\n'
        '[codes.customers.name]\n"周八" = "周\'八 \'); DROP TABLE rejects; --"\n',
        encoding="utf-8",
    )
    job = load_extracts(source=source, load_date=LOAD_DATE, mapping_path=mapping)
    assert (job.status, job.counts["customers"]) == (
        IntakeJob.Status.SUCCEEDED,
        {"read": 2, "accepted": 2, "rejected": 0},
    )
    zhou = Customer.objects.get(customer_no="7100000001")
    assert (zhou.kind, zhou.name) == ("individual", "周'八 '); DROP TABLE rejects; --")


def test_a_date_format_with_a_quote(bank, lake: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    balances = GOOD["daily_balances"].replace("2026-10-31,", "2026'10'31,") + "2026-10-31,6200000001,1,2,3\n"
    source = write_day(tmp_path / "in", {"daily_balances": balances})
    mapping = tmp_path / "bank.toml"
    mapping.write_text("[extracts.daily_balances]\ndate_format = \"%Y'%m'%d\"\n", encoding="utf-8")
    job = load_extracts(source=source, load_date=LOAD_DATE, mapping_path=mapping, max_reject_rate=0.5)
    assert (job.status, job.counts["daily_balances"]) == (
        IntakeJob.Status.SUCCEEDED,
        {"read": 3, "accepted": 2, "rejected": 1},
    )
    assert read_rejects(job.reject_file) == [
        ("daily_balances.csv", 4, "date", "not a date (%Y'%m'%d): 2026-10-31"),
    ]
    landed = duckdb.sql(
        "SELECT * FROM read_parquet($p, hive_partitioning = false) ORDER BY ALL",
        params={"p": str(lake / "daily_balances" / f"date={LOAD_DATE}" / "*.parquet")},
    ).fetchall()
    assert landed == [
        ("6200000001", 100000.0, 50000.0, 0.0, "CNY", 1.0, None, None, None),
        ("7100000001", 200000.5, 0.0, 10000.0, "CNY", 1.0, None, None, None),
    ]
