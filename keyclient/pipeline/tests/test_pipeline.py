"""Indicator values pinned on a hand-built tiny bank: month end, month to date, 30/90-day windows."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from keyclient.customers.models import Customer, CustomerPosition
from keyclient.pipeline.indicators import INDICATORS
from keyclient.pipeline.models import ClientBankOutflow, ClientDailyIndicator, IndicatorWatermark
from keyclient.pipeline.queries import outflow_by_bank
from keyclient.pipeline.services import backfill, run_date
from keyclient.products.models import BalanceSnapshot, SignificantTransaction
from keyclient.valuation.models import TierAssignment

ZHANG, LI = "6200000001", "6200000002"
D = date(2026, 10, 31)
BALANCES = {  # date -> [(customer, deposit, investment, loan)]
    date(2026, 10, 29): [(ZHANG, 100, 10, 0), (LI, 1000, 0, 500)],
    date(2026, 10, 30): [(ZHANG, 110, 20, 0), (LI, 1000, 0, 500)],
    date(2026, 10, 31): [(ZHANG, 120, 30, 0), (LI, 1000, 0, 500)],
}
TXNS = [  # (txn_id, date, customer, account, amount, direction, type, bank code, bank name)
    (1, date(2026, 8, 2), ZHANG, "A1", 7, "C", "salary", None, None),  # outside 90 days of D
    (2, date(2026, 8, 3), ZHANG, "A1", 11, "C", "salary", None, None),  # first day of the 90
    (3, date(2026, 10, 1), ZHANG, "A1", 13, "D", "card_spend", None, None),  # 90 days, not 30
    (
        4,
        date(2026, 10, 2),
        ZHANG,
        "A1",
        17,
        "D",
        "transfer_out",
        "105",
        "中国建设银行",
    ),  # first day of the 30
    (5, D, ZHANG, "A1", 19, "C", "salary", None, None),
    (6, D, ZHANG, "A1", 23, "D", "transfer_out", "308", "招商银行"),
    (7, D, ZHANG, "A1", 29, "D", "transfer_out", "999", "本行"),  # this bank: not an outflow to others
    (8, date(2026, 10, 30), LI, "A3", 31, "D", "fee", None, None),
    (9, D, LI, "A5", 1000, "D", "product_purchase", None, None),  # fee 1% on WM001
]
PRICING = {"deposit_spread": 0.365, "loan_spread": 0.73, "investment_margin": 0.0, "cost_to_serve": 36.5}


def write(lake: Path, extract: str, day: date, columns: str, rows: list[tuple]) -> None:
    folder = lake / extract / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    values = ", ".join("(" + ", ".join("NULL" if v is None else repr(str(v)) for v in r) + ")" for r in rows)
    names = [c.split()[0] for c in columns.split(",")]
    casts = ", ".join(
        f"CAST({n} AS {c.split()[1]}) AS {n}" for n, c in zip(names, columns.split(","), strict=True)
    )
    duckdb.sql(
        f"COPY (SELECT {casts} FROM (VALUES {values}) t({', '.join(names)})) TO '{folder / 'part-0.parquet'}'"
    )


def build_lake(lake: Path) -> None:
    for day, rows in BALANCES.items():
        write(
            lake,
            "daily_balances",
            day,
            "customer_no VARCHAR, deposit DOUBLE, investment DOUBLE, loan DOUBLE",
            rows,
        )
    by_day: dict[date, list[tuple]] = {}
    for t in TXNS:
        by_day.setdefault(t[1], []).append((t[0], t[2], t[3], t[4], t[5], t[6], t[7], t[8], "mobile", "某某"))
    for day, rows in by_day.items():
        write(
            lake, "transactions", day,
            "txn_id BIGINT, customer_no VARCHAR, account_bidx VARCHAR, amount DOUBLE, direction VARCHAR, "
            "txn_type VARCHAR, counterparty_bank_code VARCHAR, counterparty_bank_name VARCHAR, channel VARCHAR, "
            "counterparty_name VARCHAR",
            rows,
        )  # fmt: skip
    write(
        lake,
        "products",
        D,
        "product_code VARCHAR, fee_rate DOUBLE",
        [("DP001", 0), ("WM001", 0.01), ("TD001", 0)],
    )
    write(
        lake, "accounts", D, "account_bidx VARCHAR, customer_no VARCHAR, product_code VARCHAR",
        [("A1", ZHANG, "DP001"), ("A2", ZHANG, "WM001"), ("A3", LI, "DP001"), ("A4", LI, "TD001"), ("A5", LI, "WM001")],
    )  # fmt: skip
    write(
        lake, "holdings", D, "as_of DATE, customer_no VARCHAR, account_bidx VARCHAR, product_code VARCHAR, balance DOUBLE, maturity_date DATE",
        [
            (D, ZHANG, "A1", "DP001", 120, None), (D, ZHANG, "A2", "WM001", 30, date(2026, 11, 30)),
            (D, LI, "A3", "DP001", 1000, date(2026, 12, 1)), (D, LI, "A4", "TD001", 0, None),
        ],
    )  # fmt: skip


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    settings.KEYCLIENT_PIPELINE_PRICING = PRICING
    settings.KEYCLIENT_SIGNIFICANT_AMOUNT = 20
    build_lake(tmp_path / "lake")
    return tmp_path / "lake"


FIELDS = [
    "aum", "deposit", "investment", "loan", "aum_mtd_avg", "deposit_mtd_avg", "loan_mtd_avg", "inflow_30d",
    "outflow_30d", "inflow_90d", "outflow_90d", "outflow_other_banks_30d", "txn_count_30d", "txn_count_90d",
    "last_txn_date", "products_held", "maturing_30d_count", "maturing_30d_amount", "contribution_mtd",
]  # fmt: skip


def values(customer_no: str, day: date) -> dict:
    return (
        ClientDailyIndicator.objects.filter(customer__customer_no=customer_no, date=day).values(*FIELDS).get()
    )


def M(text: str) -> Decimal:
    return Decimal(text)


EXPECTED_ZHANG = {
    "aum": M("150.00"), "deposit": M("120.00"), "investment": M("30.00"), "loan": M("0.00"),
    "aum_mtd_avg": M("12.58"), "deposit_mtd_avg": M("10.65"), "loan_mtd_avg": M("0.00"),  # 390/31, 330/31
    "inflow_30d": M("19.00"), "outflow_30d": M("69.00"), "inflow_90d": M("30.00"), "outflow_90d": M("82.00"),
    "outflow_other_banks_30d": M("40.00"), "txn_count_30d": 4, "txn_count_90d": 6, "last_txn_date": D,
    "products_held": 2, "maturing_30d_count": 1, "maturing_30d_amount": M("30.00"),
    "contribution_mtd": M("0.03"),  # (0.100 − 0.1) + (0.110 − 0.1) + (0.120 − 0.1)
}  # fmt: skip
EXPECTED_LI = {
    "aum": M("1000.00"), "deposit": M("1000.00"), "investment": M("0.00"), "loan": M("500.00"),
    "aum_mtd_avg": M("96.77"), "deposit_mtd_avg": M("96.77"), "loan_mtd_avg": M("48.39"),
    "inflow_30d": M("0.00"), "outflow_30d": M("1031.00"), "inflow_90d": M("0.00"), "outflow_90d": M("1031.00"),
    "outflow_other_banks_30d": M("0.00"), "txn_count_30d": 2, "txn_count_90d": 2, "last_txn_date": D,
    "products_held": 1, "maturing_30d_count": 0, "maturing_30d_amount": M("0.00"),
    "contribution_mtd": M("46.70"),  # 3 × (1 + 1 − 0.1) + fee 31 + 1% of 1000
}  # fmt: skip


def test_month_end_values_incremental(bank, lake: Path) -> None:
    run_date(date(2026, 10, 30))
    counts = run_date(D)
    # At a month end the valuation runs too: every CRM client is valued (five in the persona bank), and
    # the persona tiers fall to mass on these small balances.
    assert counts == {
        "daily": 2, "bank_outflows": 1, "events": 3, "month_end": 2,
        "value_scores": 5, "tier_assignments": 5, "tier_changes": 5, "positions": 5,
    }  # fmt: skip
    assert TierAssignment.objects.filter(as_of=D, customer__customer_no=LI).values_list("basis", "tier").get() == (
        M("96.77"), "mass",
    )  # fmt: skip
    # Events: 20 and over, or 4 and over leaving for another bank (the salary of 19 is neither).
    assert list(
        SignificantTransaction.objects.filter(date=D)
        .order_by("txn_id")
        .values_list("txn_id", "amount", "counterparty_bank_code")
    ) == [(6, M("23.00"), "308"), (7, M("29.00"), "999"), (9, M("1000.00"), "")]
    assert list(
        SignificantTransaction.objects.filter(date=date(2026, 10, 30)).values_list("txn_id", flat=True)
    ) == [8]
    assert values(ZHANG, D) == EXPECTED_ZHANG
    assert values(LI, D) == EXPECTED_LI
    day30 = values(ZHANG, date(2026, 10, 30))
    assert (day30["aum_mtd_avg"], day30["outflow_30d"], day30["inflow_90d"], day30["txn_count_30d"]) == (
        M("8.00"),
        M("30.00"),
        M("18.00"),
        2,
    )  # fmt: skip  240/30; 13 + 17; the salaries of 2 and 3 Aug (the 90 days to 30 Oct start on 2 Aug)
    assert day30["last_txn_date"] == date(2026, 10, 2)
    assert list(
        ClientBankOutflow.objects.filter(date=D)
        .order_by("bank_code")
        .values_list("customer__customer_no", "bank_code", "bank_name", "amount", "transfers")
    ) == [(ZHANG, "308", "招商银行", M("23.00"), 1)]  # the day's transfers: 17 to 105 left on 2 Oct
    assert outflow_by_bank(bank.customers["zhang"], D) == [
        {"bank_code": "308", "name": "招商银行", "total": M("23.00"), "count": 1}
    ]
    assert list(BalanceSnapshot.objects.filter(as_of=D).order_by("customer__customer_no").values_list("aum", "aum_madb", "deposit", "investment", "loan")) == [
        (M("150.00"), M("12.58"), M("120.00"), M("30.00"), M("0.00")),
        (M("1000.00"), M("96.77"), M("1000.00"), M("0.00"), M("500.00")),
    ]  # fmt: skip
    assert not BalanceSnapshot.objects.filter(as_of=date(2026, 10, 30)).exists()  # not a month end
    position = CustomerPosition.objects.get(customer=bank.customers["zhang"])
    assert (position.aum, position.aum_as_of) == (M("12.58"), D)  # the client's position carries the MADB
    assert dict(IndicatorWatermark.objects.values_list("indicator", "through_date")) == {
        i.name: D for i in INDICATORS
    }


def test_without_state_equals_incremental_and_rerun_replaces(bank, lake: Path) -> None:
    run_date(D)  # no state of 30 Oct: month to date and windows come from the partitions
    assert values(ZHANG, D) == EXPECTED_ZHANG
    assert values(LI, D) == EXPECTED_LI
    shutil.rmtree(lake / "pipeline")
    run_date(D)
    assert ClientDailyIndicator.objects.filter(date=D).count() == 2
    assert ClientBankOutflow.objects.filter(date=D).count() == 1
    assert BalanceSnapshot.objects.filter(as_of=D).count() == 2
    assert SignificantTransaction.objects.filter(date=D).count() == 3


def test_backfill_fills_each_date(bank, lake: Path) -> None:
    assert backfill(date(2026, 10, 29), D) == [date(2026, 10, 29), date(2026, 10, 30), D]
    assert sorted(
        ClientDailyIndicator.objects.order_by("date").values_list("date", flat=True).distinct()
    ) == list(BALANCES)
    assert values(ZHANG, D) == EXPECTED_ZHANG
    assert sorted(p.name for p in (lake / "pipeline").iterdir()) == [f"date={d}" for d in BALANCES]
    run_date(date(2026, 10, 29))  # re-running an earlier date never moves a watermark back
    assert set(IndicatorWatermark.objects.values_list("through_date", flat=True)) == {D}
    assert IndicatorWatermark.objects.count() == len(INDICATORS)


def test_backfill_month_ends_only(bank, lake: Path) -> None:
    assert backfill(date(2026, 10, 1), date(2026, 11, 29), month_ends=True) == [D]
    assert values(ZHANG, D) == EXPECTED_ZHANG  # month to date and windows bootstrapped from the partitions
    assert BalanceSnapshot.objects.filter(as_of=D).count() == 2


def test_outflow_by_bank_sums_the_window_per_bank(bank) -> None:
    zhang, li = bank.customers["zhang"], bank.customers["li"]
    for day, customer, code, amount in [
        (date(2026, 10, 1), zhang, "105", "5.00"),  # 31 days before D: outside the 30
        (date(2026, 10, 2), zhang, "105", "17.00"),  # the first of the 30
        (date(2026, 10, 20), zhang, "105", "3.00"),
        (D, zhang, "308", "23.00"),
        (D, li, "105", "99.00"),  # another client
    ]:
        ClientBankOutflow.objects.create(
            date=day,
            customer=customer,
            bank_code=code,
            bank_name=f"bank {code}",
            amount=M(amount),
            transfers=1,
        )
    assert outflow_by_bank(zhang, D) == [
        {"bank_code": "308", "name": "bank 308", "total": M("23.00"), "count": 1},
        {"bank_code": "105", "name": "bank 105", "total": M("20.00"), "count": 2},
    ]
    assert outflow_by_bank(zhang, D, days=1) == [
        {"bank_code": "308", "name": "bank 308", "total": M("23.00"), "count": 1}
    ]


def test_client_keys_are_read_again_when_the_client_master_changes(bank, lake: Path) -> None:
    keys = lake / "_crm" / "customer_ids.parquet"
    run_date(date(2026, 10, 30))
    assert duckdb.sql(f"SELECT count(*) FROM '{keys}'").fetchall() == [(5,)]  # the persona bank's clients
    zhang = bank.customers["zhang"]
    Customer.objects.create(
        customer_no="6200000099", kind=zhang.kind, name="新客户", home_org_unit=zhang.home_org_unit
    )
    run_date(D)
    assert duckdb.sql(f"SELECT count(*) FROM '{keys}' WHERE customer_no = '6200000099'").fetchall() == [(1,)]
    assert ClientDailyIndicator.objects.filter(date=D).count() == 2  # keys joined as before
