"""Issue 15 points 3 and 6 at the intake: clients without a name or national ID, foreign IDs and
institutions load; overdrafts and loans without a class or overdue days load; bad values are still
rejected with their reasons and nothing is written."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from keyclient.customers.models import Customer
from keyclient.intake.models import IntakeJob
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, read_rejects, write_day
from keyclient.intake.validate import IntakeError
from keyclient.products.models import Holding

NONAME, FOREIGN, HK, INST = "6300000001", "6300000002", "6300000003", "8100000001"
CUSTOMERS = GOOD["customers"] + (
    f"{NONAME},individual,,,,,110108,E1002,active\n"
    f"{FOREIGN},individual,John Smith,foreign_passport,X1234567,,110108,E1002,active\n"
    f"{HK},individual,陈大文,hk_macau_permit,h12345678,,110108,E1002,active\n"
    f"{INST},institution,某某人寿保险股份有限公司,uscc,91310000MA1FL1234Q,,110108,E1002,active\n"
)
PRODUCTS = GOOD["products"] + "LN001,个人经营贷,loan,R2,0.045,0\n"
BALANCES = GOOD["daily_balances"] + f"2026-10-31,{NONAME},-25000.5,10000,0\n"
HOLDINGS = (
    "as_of,customer_no,account_no,product_code,balance,maturity_date\n"
    f"2026-10-31,{NONAME},6222000000000009,DP001,-25000.5,\n"
)
LOANS = (
    "date,loan_no,customer_no,product_code,balance,overdue_days,classification,maturity_date\n"
    f"2026-10-31,L001,{NONAME},LN001,300000,,,\n"
    f"2026-10-31,L002,{FOREIGN},LN001,100000,0,正常,\n"
)
DAY = {
    "customers": CUSTOMERS,
    "products": PRODUCTS,
    "daily_balances": BALANCES,
    "holdings": HOLDINGS,
    "loans": LOANS,
}


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


# The landed columns without the currency audit columns (docs/intake.md "Currencies").
NOT_FX = "COLUMNS(lambda c: c NOT IN ('currency', 'fx_rate') AND NOT suffix(c, '_original'))"


def lake_rows(lake: Path, extract: str) -> list[tuple]:
    pattern = lake / extract / f"date={LOAD_DATE}" / "*.parquet"
    return duckdb.sql(
        f"SELECT {NOT_FX} FROM read_parquet('{pattern}', hive_partitioning = false) ORDER BY ALL"
    ).fetchall()


def test_clients_without_name_or_id_foreign_ids_and_institutions_load(
    bank, lake: Path, tmp_path: Path
) -> None:
    job = load_extracts(source=write_day(tmp_path / "in", DAY), load_date=LOAD_DATE)
    assert job.status == IntakeJob.Status.SUCCEEDED
    assert job.rows_rejected == 0
    loaded = {
        c.customer_no: (c.kind, c.name, c.name_initials, c.id_type, c.id_number, c.id_number_bidx)
        for c in Customer.objects.filter(customer_no__in=[NONAME, FOREIGN, HK, INST])
    }
    assert loaded[NONAME] == ("individual", "", "", "", "", "")  # nothing made up
    assert loaded[FOREIGN][:5] == ("individual", "John Smith", "johnsmith", "foreign_passport", "X1234567")
    assert loaded[HK][:5] == ("individual", "陈大文", "cdw", "hk_macau_permit", "h12345678")
    assert loaded[INST][:5] == (
        "institution",
        "某某人寿保险股份有限公司",
        "mmrsbxgfyxgs",
        "uscc",
        "91310000MA1FL1234Q",
    )
    assert all(row[5] for no, row in loaded.items() if no != NONAME)


def test_overdrafts_and_loans_without_class_or_overdue_days_land(bank, lake: Path, tmp_path: Path) -> None:
    job = load_extracts(source=write_day(tmp_path / "in", DAY), load_date=LOAD_DATE)
    assert job.rows_rejected == 0
    assert ("6300000001", -25000.5, 10000.0, 0.0) in lake_rows(lake, "daily_balances")
    assert lake_rows(lake, "loans") == [
        ("L001", NONAME, "LN001", 300000.0, None, None, None),  # unknown, not 0 days / 正常
        ("L002", FOREIGN, "LN001", 100000.0, 0, "正常", None),
    ]
    assert list(Holding.objects.values_list("customer__customer_no", "balance")) == [
        (NONAME, Decimal("-25000.50"))
    ]


def test_an_overdraft_shows_on_the_client_page_and_is_not_aum(
    bank, lake: Path, tmp_path: Path, login
) -> None:
    load_extracts(source=write_day(tmp_path / "in", DAY), load_date=LOAD_DATE)
    noname = Customer.objects.get(customer_no=NONAME)
    html = login(bank.user("rm_hd2")).get(f"/clients/{noname.pk}/").content.decode()
    assert '<span class="warn" data-testid="overdraft">透支</span> -25,000.50' in html  # the holding
    assert (
        '<tr data-testid="overdraft-total"><td class="warn">透支</td><td class="num">25,000.50</td>' in html
    )
    assert "姓名未登记" in html


BAD = {
    "ID number without its type": (
        {"customers": GOOD["customers"] + f"{NONAME},individual,无类,,110108199001010000,,110108,,active\n"},
        [("customers.csv", 4, "id_type", "an ID number without its ID type")],
    ),
    "malformed resident ID": (
        {
            "customers": GOOD["customers"]
            + f"{NONAME},individual,错号,resident_id,11010819900101,,110108,,active\n"
        },
        [("customers.csv", 4, "id_number", "not a resident ID number (17 digits and a digit or X)")],
    ),
    "malformed credit code": (
        {
            "customers": GOOD["customers"]
            + f"{INST},institution,某银行,uscc,91110108MA01ABCDIO,,110108,,active\n"
        },
        [
            (
                "customers.csv",
                4,
                "id_number",
                "not a unified social credit code (18 characters of 0-9 and A-Y without I, O, S, V, Z)",
            )
        ],
    ),
    "unknown kind and ID type": (
        {"customers": GOOD["customers"] + f"{INST},bank,某银行,licence,X1,,110108,,active\n"},
        [
            (
                "customers.csv",
                4,
                "id_type",
                "unknown code: licence (expected resident_id/passport/foreign_passport/"
                "hk_macau_permit/taiwan_permit/foreign_pr_card/other_personal/uscc/business_licence/"
                "foreign_registration/other_organisation)",
            ),
            ("customers.csv", 4, "kind", "unknown code: bank (expected individual/corporate/institution)"),
        ],
    ),
    "overdraft on an investment": (
        {
            "holdings": (
                "as_of,customer_no,account_no,product_code,balance,maturity_date\n"
                "2026-10-31,7100000001,6222000000000002,WM001,-10,\n"
            )
        },
        [
            (
                "holdings.csv",
                2,
                "balance",
                "a negative balance (an overdraft) on a product that is not a current deposit",
            )
        ],
    ),
    "negative investment": (
        {"daily_balances": GOOD["daily_balances"] + "2026-10-31,6200000002,-1,-5,0\n"},
        [("daily_balances.csv", 4, "investment", "below the minimum 0: -5")],
    ),
    "bad loan class and overdue days": (
        {"customers": CUSTOMERS, "products": PRODUCTS, "loans": LOANS.replace(",,,\n", ",-3,普通,\n")},
        [
            ("loans.csv", 2, "classification", "unknown code: 普通 (expected 正常/关注/次级/可疑/损失)"),
            ("loans.csv", 2, "overdue_days", "below the minimum 0: -3"),
        ],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_identity_overdraft_and_loan_values_are_rejected(
    case: str, bank, lake: Path, tmp_path: Path
) -> None:
    changes, expected = BAD[case]
    before = sorted(Customer.objects.values_list("customer_no", "name"))
    with pytest.raises(IntakeError, match="over the reject threshold"):
        load_extracts(source=write_day(tmp_path / "in", changes), load_date=LOAD_DATE, max_reject_rate=0.1)
    assert read_rejects(IntakeJob.objects.get().reject_file) == expected
    assert sorted(Customer.objects.values_list("customer_no", "name")) == before
    assert not Holding.objects.exists()
    assert not list(lake.glob("*/date=*/*.parquet"))
