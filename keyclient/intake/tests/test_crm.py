"""Intake writes into the CRM everything the extracts carry: exact rows, idempotent re-loads, the next
day following core banking, and nothing written when a load fails."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from keyclient.audit.actors import Job
from keyclient.customers.models import ContactPoint, Customer, CustomerTag, Tag
from keyclient.customers.services import add_contact_point
from keyclient.intake.models import IntakeJob
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, read_rejects, write_day
from keyclient.intake.validate import IntakeError
from keyclient.products.models import Account, Holding
from keyclient.products.services import account_bidx
from keyclient.relationships.models import CustomerLink

NEXT_DATE = dt.date(2026, 11, 1)
ZHANG, ZHOU, WU = "6200000001", "7100000001", "7100000002"
DAY1 = {
    "customers": (
        "customer_no,kind,name,id_type,id_number,mobile,phone2,email,address,home_org_code,rm_staff_no,status,tags\n"
        f"{ZHANG},individual,张三,resident_id,110108198001011234,13800001234,,,北京市海淀区一号,11010801,E1002,active,企业主\n"
        f"{ZHOU},individual,周八,resident_id,110108197707077777,13900007777,010-62345678,zhou@example.cn,"
        "北京市海淀区二号,110108,E1002,active,企业主; 跨境需求\n"
        f"{WU},corporate,吴九科技有限公司,uscc,91110108MA01ABCD2X,,,,,110108,,active,\n"
    ),
    "accounts": (
        "account_no,customer_no,product_code,open_date,status\n"
        f"6222000000000001,{ZHOU},DP001,2026-01-05,active\n"
        f"6222000000000002,{ZHOU},WM001,2026-03-01,active\n"
        f"6222000000000003,{WU},DP001,2025-06-30,closed\n"
    ),
    "holdings": (
        "as_of,customer_no,account_no,product_code,balance,maturity_date\n"
        f"2026-09-30,{ZHOU},6222000000000001,DP001,150000,\n"
        f"2026-10-31,{ZHOU},6222000000000001,DP001,200000.5,\n"
        f"2026-10-31,{ZHOU},6222000000000002,WM001,80000,2027-03-01\n"
    ),
    "links": (
        "from_customer_no,to_customer_no,link_type,role,start_date,source\n"
        f"{ZHOU},{ZHANG},household,配偶,2010-05-01,core_banking\n"
        f"{ZHOU},{WU},executive,董事长,2019-01-01,工商登记\n"
    ),
}


def day2(*, changes: dict[str, str] | None = None) -> dict[str, str]:
    """The next business date: core banking changed 周八's mobile and tags, closed an account, moved
    money and changed a link's role."""
    files = {
        "customers": DAY1["customers"]
        .replace("13900007777,010-62345678", "13900008888,010-62345678")
        .replace("企业主; 跨境需求", "跨境需求;养老规划"),
        "accounts": DAY1["accounts"].replace("2026-03-01,active", "2026-03-01,closed"),
        "holdings": (
            "as_of,customer_no,account_no,product_code,balance,maturity_date\n"
            f"2026-11-01,{ZHOU},6222000000000001,DP001,280000.5,\n"
        ),
        "links": DAY1["links"].replace("董事长", "总经理"),
        "daily_balances": GOOD["daily_balances"].replace("2026-10-31", "2026-11-01"),
        "transactions": GOOD["transactions"].replace("2026-10-31", "2026-11-01"),
    }
    return {**files, **(changes or {})}


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


def accounts() -> list[tuple]:
    return sorted(
        (a.customer.customer_no, a.product.code, a.account_no, a.open_date, a.is_active, a.account_bidx)
        for a in Account.objects.select_related("customer", "product")
    )


def holdings() -> list[tuple]:
    return sorted(
        (
            h.as_of,
            h.customer.customer_no,
            h.product.code,
            h.account_no,
            h.balance,
            h.maturity_date,
            h.account_bidx,
        )
        for h in Holding.objects.select_related("customer", "product")
    )


def links() -> list[tuple]:
    return sorted(
        (link.from_customer.customer_no, link.to_customer.customer_no, link.link_type, link.role,
         link.start_date, link.end_date, link.source)
        for link in CustomerLink.objects.select_related("from_customer", "to_customer")
    )  # fmt: skip


def tags() -> list[tuple[str, str]]:
    return sorted(CustomerTag.objects.values_list("customer__customer_no", "tag__name"))


def contacts(customer_no: str) -> list[tuple]:
    return sorted(
        (c.kind, c.value, c.label, c.is_primary)
        for c in ContactPoint.objects.filter(customer__customer_no=customer_no)
    )


def crm_state() -> dict[str, object]:
    return {
        "accounts": accounts(),
        "holdings": holdings(),
        "links": links(),
        "tags": tags(),
        "contacts": sorted(ContactPoint.objects.values_list("id", "customer__customer_no", "kind", "is_primary")),
        "customers": sorted(Customer.objects.values_list("id", "customer_no", "name", "primary_rm__username", "updated_at")),
    }  # fmt: skip


def raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")
        return [r[0] for r in cursor.fetchall()]


def test_a_load_writes_accounts_holdings_links_tags_contacts_and_rm(bank, lake: Path, tmp_path: Path) -> None:
    job = load_extracts(source=write_day(tmp_path / "in", DAY1), load_date=LOAD_DATE, history=True)
    crm = {k: v for k, v in job.counts.items() if isinstance(v, int)}
    assert crm == {
        "products_upserted": 2, "customers_inserted": 2, "customers_updated": 1,
        "accounts_inserted": 3, "accounts_updated": 0, "holdings_written": 2,
        "links_inserted": 2, "links_updated": 0, "tags_added": 3, "tags_removed": 0,
        "contacts_added": 6, "contacts_removed": 0, "contacts_demoted": 0,
    }  # fmt: skip
    key = account_bidx
    assert accounts() == [
        (ZHOU, "DP001", "6222000000000001", dt.date(2026, 1, 5), True, key("6222000000000001")),
        (ZHOU, "WM001", "6222000000000002", dt.date(2026, 3, 1), True, key("6222000000000002")),
        (WU, "DP001", "6222000000000003", dt.date(2025, 6, 30), False, key("6222000000000003")),
    ]
    assert holdings() == [  # the latest date only
        (LOAD_DATE, ZHOU, "DP001", "6222000000000001", Decimal("200000.50"), None, key("6222000000000001")),
        (LOAD_DATE, ZHOU, "WM001", "6222000000000002", Decimal("80000.00"), dt.date(2027, 3, 1), key("6222000000000002")),
    ]  # fmt: skip
    assert links() == [
        (ZHOU, ZHANG, "household", "配偶", dt.date(2010, 5, 1), None, "core_banking"),
        (ZHOU, WU, "executive", "董事长", dt.date(2019, 1, 1), None, "core_banking"),  # unknown source
    ]
    assert tags() == [(ZHANG, "企业主"), (ZHOU, "企业主"), (ZHOU, "跨境需求")]
    assert Tag.objects.count() == 2
    assert contacts(ZHOU) == [
        ("address", "北京市海淀区二号", "", True),
        ("email", "zhou@example.cn", "", True),
        ("mobile", "13900007777", "", True),
        ("phone", "010-62345678", "", False),
    ]
    assert contacts(ZHANG) == [("address", "北京市海淀区一号", "", True), ("mobile", "13800001234", "", True)]
    assert contacts(WU) == []
    # The RM of new clients comes from the extract; 张三 keeps the CRM's assignment (E1001).
    rms = dict(
        Customer.objects.filter(customer_no__in=[ZHANG, ZHOU, WU]).values_list(
            "customer_no", "primary_rm__username"
        )
    )
    assert rms == {ZHANG: "E1001", ZHOU: "E1002", WU: None}
    # Personal numbers are encrypted at rest.
    for table, column in (("products_account", "account_no"), ("products_holding", "account_no"),
                          ("customers_contactpoint", "value")):  # fmt: skip
        stored = raw(table, column)
        assert stored and not any(v.startswith(("6222", "139", "138", "010", "zhou", "北京")) for v in stored)


def test_reloading_a_date_changes_nothing(bank, lake: Path, tmp_path: Path) -> None:
    source = write_day(tmp_path / "in", DAY1)
    load_extracts(source=source, load_date=LOAD_DATE, history=True)
    before = crm_state()
    holding_ids = sorted(Holding.objects.values_list("id", flat=True))
    job = load_extracts(source=source, load_date=LOAD_DATE, history=True)
    assert crm_state() == before
    written = {k: v for k, v in job.counts.items() if isinstance(v, int) and v}
    assert written == {"products_upserted": 2, "holdings_written": 2}  # holdings are replaced: same rows
    assert sorted(Holding.objects.values_list("id", flat=True)) != holding_ids


def test_the_next_day_follows_core_banking_and_keeps_what_rms_entered(
    bank, lake: Path, tmp_path: Path
) -> None:
    load_extracts(source=write_day(tmp_path / "d1", DAY1), load_date=LOAD_DATE, history=True)
    zhou = Customer.objects.get(customer_no=ZHOU)
    rm = Job("test")
    rm_email = add_contact_point(actor=rm, customer=zhou, kind="email", value="zb@rm.cn")
    add_contact_point(actor=rm, customer=zhou, kind="mobile", value="13700000000", is_primary=True)
    CustomerTag.objects.create(customer=zhou, tag=Tag.objects.create(name="高尔夫"))  # an RM's tag
    account_ids = dict(Account.objects.values_list("account_bidx", "id"))
    job = load_extracts(source=write_day(tmp_path / "d2", day2()), load_date=NEXT_DATE)
    crm = {k: v for k, v in job.counts.items() if isinstance(v, int)}
    assert crm == {
        "products_upserted": 2, "customers_inserted": 0, "customers_updated": 1,
        "accounts_inserted": 0, "accounts_updated": 1, "holdings_written": 1,
        "links_inserted": 0, "links_updated": 1, "tags_added": 1, "tags_removed": 1,
        "contacts_added": 1, "contacts_removed": 1, "contacts_demoted": 1,
    }  # fmt: skip
    assert contacts(ZHOU) == [
        ("address", "北京市海淀区二号", "", True),
        ("email", "zb@rm.cn", "", False),  # the RM's, untouched
        ("email", "zhou@example.cn", "", True),
        ("mobile", "13700000000", "", False),  # the RM's, no longer the primary one
        ("mobile", "13900008888", "", True),  # the old number 13900007777 is gone: core banking dropped it
        ("phone", "010-62345678", "", False),
    ]
    assert ContactPoint.objects.filter(pk=rm_email.pk).exists()
    zhou.refresh_from_db()
    assert zhou.mobile == "13900008888"
    assert tags() == [(ZHANG, "企业主"), (ZHOU, "养老规划"), (ZHOU, "跨境需求"), (ZHOU, "高尔夫")]
    assert [(a[1], a[4]) for a in accounts() if a[0] == ZHOU] == [("DP001", True), ("WM001", False)]
    assert dict(Account.objects.values_list("account_bidx", "id")) == account_ids  # updated in place
    assert holdings() == [
        (
            NEXT_DATE,
            ZHOU,
            "DP001",
            "6222000000000001",
            Decimal("280000.50"),
            None,
            account_bidx("6222000000000001"),
        )
    ]
    assert [link[3] for link in links()] == ["配偶", "总经理"]


def test_an_older_holdings_snapshot_does_not_replace_a_newer_one(bank, lake: Path, tmp_path: Path) -> None:
    load_extracts(source=write_day(tmp_path / "d2", {**DAY1, **day2()}), load_date=NEXT_DATE)
    job = load_extracts(source=write_day(tmp_path / "d1", DAY1), load_date=LOAD_DATE, history=True)
    assert job.counts["holdings_written"] == 0
    assert [h[0] for h in holdings()] == [NEXT_DATE]


BAD = {
    "self link": (
        {"links": DAY1["links"] + f"{ZHOU},{ZHOU},household,本人,,core_banking\n"},
        [("links.csv", 4, "to_customer_no", "a client cannot be linked to itself")],
    ),
    "long tag": (  # 周八 is rejected, and with him his accounts, holdings, links, balances and transactions
        {"customers": DAY1["customers"].replace("企业主; 跨境需求", "企业主;" + "长" * 301)},
        [
            ("accounts.csv", 2, "customer_no", f"unknown client: {ZHOU}"),
            ("accounts.csv", 3, "customer_no", f"unknown client: {ZHOU}"),
            ("customers.csv", 3, "tags", "a tag is longer than 300 characters"),
            ("daily_balances.csv", 3, "customer_no", f"unknown client: {ZHOU}"),
            ("holdings.csv", 2, "customer_no", f"unknown client: {ZHOU}"),
            ("holdings.csv", 3, "customer_no", f"unknown client: {ZHOU}"),
            ("holdings.csv", 4, "customer_no", f"unknown client: {ZHOU}"),
            ("links.csv", 2, "from_customer_no", f"unknown client: {ZHOU}"),
            ("links.csv", 3, "from_customer_no", f"unknown client: {ZHOU}"),
            ("transactions.csv", 2, "customer_no", f"unknown client: {ZHOU}"),
            ("transactions.csv", 3, "customer_no", f"unknown client: {ZHOU}"),
        ],
    ),
    "long role": (
        {"links": DAY1["links"].replace("董事长", "董" * 31)},
        [("links.csv", 3, "role", "longer than 30 characters")],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_failed_load_writes_nothing_into_the_crm(case: str, bank, lake: Path, tmp_path: Path) -> None:
    changes, expected = BAD[case]
    before = crm_state()
    with pytest.raises(IntakeError, match="over the reject threshold"):
        load_extracts(
            source=write_day(tmp_path / "in", {**DAY1, **changes}), load_date=LOAD_DATE, history=True
        )
    assert read_rejects(IntakeJob.objects.get().reject_file) == expected
    assert crm_state() == before
    assert not Account.objects.exists() and not Holding.objects.exists() and not CustomerLink.objects.exists()
    assert not ContactPoint.objects.exists() and not Tag.objects.exists()
    assert not Customer.objects.filter(customer_no__in=[ZHOU, WU]).exists()


def test_a_failure_during_the_crm_writes_rolls_everything_back(
    bank, lake: Path, tmp_path: Path, monkeypatch
) -> None:
    from keyclient.intake import crm_contacts

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(crm_contacts, "write_contacts", boom)  # the last write: everything before it ran
    before = crm_state()
    with pytest.raises(RuntimeError, match="disk full"):
        load_extracts(source=write_day(tmp_path / "in", DAY1), load_date=LOAD_DATE, history=True)
    assert crm_state() == before
    assert not Account.objects.exists() and not Holding.objects.exists() and not CustomerTag.objects.exists()
    assert not list(lake.glob("*/date=*/*.parquet"))
    assert IntakeJob.objects.get().status == IntakeJob.Status.FAILED
