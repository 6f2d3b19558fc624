"""Intake: every bad-extract case gets its exact reject row; failures write nothing; re-loads replace."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from keyclient.audit.models import BusinessEvent
from keyclient.customers.models import Customer
from keyclient.intake.models import IntakeJob
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, read_rejects, write_day
from keyclient.intake.validate import IntakeError
from keyclient.products.models import Product


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


def lake_rows(lake: Path, extract: str) -> list[tuple]:
    pattern = lake / extract / f"date={LOAD_DATE}" / "*.parquet"
    return duckdb.sql(
        f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = false) ORDER BY ALL"
    ).fetchall()


def test_clean_load_lands_and_upserts(bank, lake: Path, tmp_path: Path) -> None:
    job = load_extracts(source=write_day(tmp_path / "in"), load_date=LOAD_DATE)
    assert job.status == IntakeJob.Status.SUCCEEDED
    assert (job.rows_read, job.rows_accepted, job.rows_rejected) == (10, 10, 0)
    assert job.counts["customers"] == {"read": 2, "accepted": 2, "rejected": 0}
    assert job.actor_name == "job:intake"
    assert lake_rows(lake, "daily_balances") == [
        ("6200000001", 100000.0, 50000.0, 0.0, "CNY", 1.0, None, None, None),
        ("7100000001", 200000.5, 0.0, 10000.0, "CNY", 1.0, None, None, None),
    ]
    new = Customer.objects.get(customer_no="7100000001")
    assert (new.name, new.home_org_unit.code, new.primary_rm.username, new.id_number) == (
        "周八", "110108", "E1002", "110108197707077777",
    )  # fmt: skip
    assert new.name_initials == "zb"
    zhang = Customer.objects.get(customer_no="6200000001")
    before = bank.customers["zhang"]
    assert (zhang.tier, zhang.position.aum, zhang.home_org_unit.code) == (
        before.tier, before.position.aum, "11010801",
    )  # fmt: skip
    assert list(Product.objects.order_by("code").values_list("code", "category", "fee_rate")) == [
        ("DP001", "deposit", Decimal("0.00000")),
        ("WM001", "wmp", Decimal("0.01000")),
    ]
    assert BusinessEvent.objects.filter(verb="intake.loaded").count() == 1


def test_reload_same_date_replaces(bank, lake: Path, tmp_path: Path) -> None:
    source = write_day(tmp_path / "in")
    load_extracts(source=source, load_date=LOAD_DATE)
    customers = Customer.objects.count()
    changed = GOOD["daily_balances"].replace("200000.5", "999.5")
    moved = GOOD["customers"].replace("11010801,E1001", "11010801,E1002")  # core banking names another RM
    load_extracts(
        source=write_day(source, {"daily_balances": changed, "customers": moved}), load_date=LOAD_DATE
    )
    assert (
        Customer.objects.get(customer_no="6200000001").primary_rm.username == "E1001"
    )  # the CRM's assignment stands
    assert Customer.objects.count() == customers == 6
    assert Product.objects.count() == 2
    assert lake_rows(lake, "daily_balances")[1] == (
        "7100000001",
        999.5,
        0.0,
        10000.0,
        "CNY",
        1.0,
        None,
        None,
        None,
    )
    assert len(list((lake / "daily_balances").glob("date=*/*.parquet"))) == 1
    assert not (lake / "_staging").exists() or not any((lake / "_staging").iterdir())
    assert IntakeJob.objects.filter(status="succeeded").count() == 2


BAD = {
    "wrong type": (
        {"daily_balances": GOOD["daily_balances"] + "2026-10-31,6200000002,abc,0,0\n"},
        [("daily_balances.csv", 4, "deposit", "not a number: abc")],
    ),
    "missing key": (
        {
            "customers": GOOD["customers"]
            + ",individual,无号,resident_id,110108199001010000,,110108,,active\n"
        },
        [("customers.csv", 4, "customer_no", "required field is empty")],
    ),
    "unknown product": (
        {"accounts": GOOD["accounts"] + "6222000000000003,7100000001,XX999,2026-03-01,active\n"},
        [("accounts.csv", 4, "product_code", "unknown product: XX999")],
    ),
    "unknown client": (
        {"daily_balances": GOOD["daily_balances"] + "2026-10-31,9999999999,1,0,0\n"},
        [("daily_balances.csv", 4, "customer_no", "unknown client: 9999999999")],
    ),
    "truncated last line": (
        {"transactions": GOOD["transactions"] + "1003,2026-10-31,7100000001,6222000000000001,50"},
        [("transactions.csv", 4, "direction", "truncated line: fewer fields than the header")],
    ),
    "duplicate row": (
        {"transactions": GOOD["transactions"] + GOOD["transactions"].splitlines()[2] + "\n"},
        [("transactions.csv", 4, "txn_id", "duplicate key (1002), first at line 3")],
    ),
    "not the load date": (
        {"daily_balances": GOOD["daily_balances"] + "2026-10-30,6200000002,1,0,0\n"},
        [("daily_balances.csv", 4, "date", "date 2026-10-30 is not the load date 2026-10-31")],
    ),
    "below minimum and bad code": (
        {"transactions": GOOD["transactions"] + "1004,2026-10-31,7100000001,,-5,X,transfer_out,,\n"},
        [
            ("transactions.csv", 4, "amount", "below the minimum 0: -5"),
            ("transactions.csv", 4, "direction", "unknown code: X (expected C/D)"),
        ],
    ),
    "utf-8 expected, GBK given": (
        {"products": GOOD["products"] + "FD001,\udcd6\udcd0文基金,fund,R3,0,0.015\n"},
        [
            (
                "products.csv",
                4,
                "name",
                "not valid UTF-8: declare the file's encoding (e.g. gbk) in the mapping",
            )
        ],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_extract_gets_exact_reject(case: str, bank, lake: Path, tmp_path: Path) -> None:
    changes, expected = BAD[case]
    source = write_day(tmp_path / "in")
    for name, text in changes.items():  # surrogates stand for raw bytes (a GBK fragment in a UTF-8 file)
        (source / f"{name}.csv").write_bytes(text.encode("utf-8", errors="surrogateescape"))
    job = load_extracts(source=source, load_date=LOAD_DATE, max_reject_rate=0.5)
    assert read_rejects(job.reject_file) == expected
    assert job.rows_rejected == 1
    assert job.status == IntakeJob.Status.SUCCEEDED


@pytest.mark.parametrize("case", ["wrong type", "unknown product", "truncated last line", "duplicate row"])
def test_over_threshold_fails_and_writes_nothing(case: str, bank, lake: Path, tmp_path: Path) -> None:
    changes, expected = BAD[case]
    before = sorted(Customer.objects.values_list("customer_no", "name", "updated_at"))
    with pytest.raises(IntakeError, match=r"over the reject threshold of 1\.00%.*nothing was loaded"):
        load_extracts(source=write_day(tmp_path / "in", changes), load_date=LOAD_DATE)
    assert sorted(Customer.objects.values_list("customer_no", "name", "updated_at")) == before
    assert Product.objects.count() == 0
    assert not BusinessEvent.objects.filter(verb="intake.loaded").exists()
    assert not list(lake.glob("*/date=*/*.parquet"))  # nothing landed
    job = IntakeJob.objects.get()
    assert (job.status, job.rows_rejected) == (IntakeJob.Status.FAILED, 1)
    assert read_rejects(job.reject_file) == expected
    assert job.reject_summary[0]["count"] == 1


def test_gbk_file_with_bom_and_mapping(bank, lake: Path, tmp_path: Path) -> None:
    source = tmp_path / "in"
    renamed = GOOD["customers"].replace("customer_no,kind", "CUST_NO,KIND").replace(",individual,", ",1,")
    write_day(source, {"customers": renamed.replace(",", "|")})
    (source / "customers.csv").write_bytes(b"\xef\xbb\xbf" + renamed.replace(",", "|").encode("gbk"))
    mapping = tmp_path / "bank.toml"
    mapping.write_text(
        '[extracts.customers]\nencoding = "gbk"\nseparator = "|"\n'
        '[columns.customers]\nCUST_NO = "customer_no"\nKIND = "kind"\n'
        '[codes.customers.kind]\n"1" = "individual"\n"2" = "corporate"\n',
        encoding="utf-8",
    )
    job = load_extracts(source=source, load_date=LOAD_DATE, mapping_path=mapping)
    assert job.counts["customers"] == {"read": 2, "accepted": 2, "rejected": 0}
    assert Customer.objects.get(customer_no="7100000001").name == "周八"


def test_history_load_lands_one_partition_per_date(bank, lake: Path, tmp_path: Path) -> None:
    balances = GOOD["daily_balances"] + "2026-10-30,6200000001,1,2,3\n"
    job = load_extracts(
        source=write_day(tmp_path / "in", {"daily_balances": balances}), load_date=LOAD_DATE, history=True
    )
    assert job.rows_rejected == 0
    assert sorted(p.name for p in (lake / "daily_balances").iterdir()) == [
        "date=2026-10-30",
        "date=2026-10-31",
    ]


def test_job_list_page(bank, login, lake: Path, tmp_path: Path) -> None:
    load_extracts(source=write_day(tmp_path / "in"), load_date=LOAD_DATE)
    assert login(bank.user("rm_hd")).get("/intake/").status_code == 403
    response = login(bank.user("admin")).get("/intake/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "2026-10-31" in body and "系统作业：核心系统数据接入" in body and "7100000001" not in body
    assert "job:intake" not in body


def test_parquet_dates_and_numbers_load_without_parsing_and_keep_their_rules(
    bank, lake: Path, tmp_path: Path
) -> None:
    source = write_day(tmp_path / "in")
    (source / "daily_balances.csv").unlink()
    duckdb.sql(
        """SELECT * FROM (VALUES (DATE '2026-10-31', '6200000001', 100000.0, 50000.0, 0.0),
            (DATE '2026-10-31', '7100000001', 200000.5, 0.0, 10000.0),
            (DATE '2026-10-30', '6200000002', -1.0, -5.0, 0.0))
        t(date, customer_no, deposit, investment, loan)"""
    ).write_parquet(str(source / "daily_balances.parquet"))
    job = load_extracts(source=source, load_date=LOAD_DATE, max_reject_rate=0.5)
    assert read_rejects(job.reject_file) == [
        ("daily_balances.parquet", 3, "date", "date 2026-10-30 is not the load date 2026-10-31"),
        ("daily_balances.parquet", 3, "investment", "below the minimum 0: -5.0"),  # a deposit may be < 0
    ]
    assert lake_rows(lake, "daily_balances") == [
        ("6200000001", 100000.0, 50000.0, 0.0, "CNY", 1.0, None, None, None),
        ("7100000001", 200000.5, 0.0, 10000.0, "CNY", 1.0, None, None, None),
    ]


def test_parquet_numbers_stored_as_text_are_parsed_and_checked(bank, lake: Path, tmp_path: Path) -> None:
    source = write_day(tmp_path / "in")
    (source / "daily_balances.csv").unlink()
    duckdb.sql(
        """SELECT * FROM (VALUES ('2026-10-31', '6200000001', '100000', '0', '0'),
            ('2026-10-31', '7100000001', 'abc', '0', '0')) t(date, customer_no, deposit, investment, loan)"""
    ).write_parquet(str(source / "daily_balances.parquet"))
    job = load_extracts(source=source, load_date=LOAD_DATE, max_reject_rate=0.5)
    assert read_rejects(job.reject_file) == [("daily_balances.parquet", 2, "deposit", "not a number: abc")]
