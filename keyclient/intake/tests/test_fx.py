"""Currencies at intake: amounts in another currency land converted into the reporting currency, by the
fx_rates extract (the day's rate or the latest earlier one) or the mapping's rates; a row without a
rate is rejected naming its currency and date, and nothing of it is landed or written."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from keyclient.intake.mapping import MappingError
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, read_rejects, write_day
from keyclient.pipeline.services import run_date
from keyclient.products.models import Holding, Product
from keyclient.valuation.models import TierAssignment

BALANCES = (
    "date,customer_no,deposit,investment,loan,currency\n"
    "2026-10-31,6200000001,10000,5000.5,0,USD\n"
    "2026-10-31,7100000001,200000.5,0,10000,\n"
)
HOLDINGS = (
    "as_of,customer_no,account_no,product_code,balance,currency\n"
    "2026-10-31,7100000001,6222000000000001,DP001,1000,\n"
    "2026-10-31,7100000001,6222000000000002,WM001,1234.56,usd\n"
)
RATES = "date,currency,rate\n2026-10-31,USD,7.1234\n2026-10-31,EUR,7.7\n"
NO_RATE = "no exchange rate for {} on 2026-10-31 (none in fx_rates on that date or up to 10 days before, none in the mapping)"


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


def landed(lake: Path, extract: str, day: object = LOAD_DATE) -> list[tuple]:
    return duckdb.sql(
        f"SELECT * FROM read_parquet('{lake / extract / f'date={day}' / '*.parquet'}', hive_partitioning = false) ORDER BY ALL"
    ).fetchall()


def holdings() -> list[tuple[str, Decimal]]:
    return sorted(Holding.objects.values_list("product__code", "balance"))


def test_a_usd_balance_lands_converted_by_the_day_rate(bank, lake: Path, tmp_path: Path) -> None:
    txns = GOOD["transactions"].replace("counterparty_bank_name\n", "counterparty_bank_name,currency\n")
    txns = txns.replace("5000,C,salary,,\n", "5000,C,salary,,,USD\n").replace(
        "中国建设银行\n", "中国建设银行,\n"
    )
    day = {"daily_balances": BALANCES, "holdings": HOLDINGS, "fx_rates": RATES, "transactions": txns}
    job = load_extracts(source=write_day(tmp_path / "in", day), load_date=LOAD_DATE)
    assert job.rows_rejected == 0
    # customer, deposit, investment, loan, currency (as sent), fx_rate, the amounts as sent
    assert landed(lake, "daily_balances") == [
        ("6200000001", 71234.0, 35620.56, 0.0, "USD", 7.1234, 10000.0, 5000.5, 0.0),
        ("7100000001", 200000.5, 0.0, 10000.0, "CNY", 1.0, None, None, None),
    ]
    # txn_id, amount, currency, fx_rate, amount as sent
    assert [(r[0], r[3], *r[-3:]) for r in landed(lake, "transactions")] == [
        (1001, 35617.0, "USD", 7.1234, 5000.0),
        (1002, 3000.0, "CNY", 1.0, None),
    ]
    assert landed(lake, "fx_rates") == [("EUR", 7.7), ("USD", 7.1234)]
    # 1,234.56 USD × 7.1234 = 8,794.264704 → 8,794.26
    assert holdings() == [("DP001", Decimal("1000.00")), ("WM001", Decimal("8794.26"))]


def test_the_latest_earlier_rate_serves_up_to_ten_days_even_from_an_earlier_load(
    bank, lake: Path, tmp_path: Path
) -> None:
    first = {"fx_rates": "date,currency,rate\n2026-10-21,USD,7\n2026-10-20,EUR,8\n"}
    load_extracts(source=write_day(tmp_path / "d1", first), load_date=LOAD_DATE, history=True)
    balances = BALANCES + "2026-10-31,6200000002,100,0,0,EUR\n"
    job = load_extracts(
        source=write_day(tmp_path / "d2", {"daily_balances": balances}),
        load_date=LOAD_DATE,
        max_reject_rate=0.5,
    )
    # USD: the 21st's rate (10 days old) from the lake; EUR: the 20th's is 11 days old, too stale.
    assert landed(lake, "daily_balances") == [
        ("6200000001", 70000.0, 35003.5, 0.0, "USD", 7.0, 10000.0, 5000.5, 0.0),
        ("7100000001", 200000.5, 0.0, 10000.0, "CNY", 1.0, None, None, None),
    ]
    assert read_rejects(job.reject_file) == [("daily_balances.csv", 4, "currency", NO_RATE.format("EUR"))]


def test_a_row_without_a_rate_is_rejected_and_nothing_of_it_lands(bank, lake: Path, tmp_path: Path) -> None:
    balances = BALANCES.replace(",USD\n", ",GBP\n")
    day = {"daily_balances": balances, "holdings": HOLDINGS.replace(",usd\n", ",GBP\n"), "fx_rates": RATES}
    job = load_extracts(source=write_day(tmp_path / "in", day), load_date=LOAD_DATE, max_reject_rate=0.5)
    assert read_rejects(job.reject_file) == [
        ("daily_balances.csv", 2, "currency", NO_RATE.format("GBP")),
        ("holdings.csv", 3, "currency", NO_RATE.format("GBP")),
    ]
    assert job.counts["daily_balances"] == {"read": 2, "accepted": 1, "rejected": 1}
    assert "10000" not in Path(job.reject_file).read_text(encoding="utf-8")  # the amount is not echoed
    assert [r[0] for r in landed(lake, "daily_balances")] == ["7100000001"]
    assert holdings() == [("DP001", Decimal("1000.00"))]  # the GBP holding is not written


def test_over_the_threshold_a_missing_rate_loads_nothing(bank, lake: Path, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="over the reject threshold"):
        load_extracts(source=write_day(tmp_path / "in", {"daily_balances": BALANCES}), load_date=LOAD_DATE)
    assert not list(lake.glob("*/date=*/*.parquet"))
    assert Holding.objects.count() == 0


def test_rates_declared_in_the_mapping(bank, lake: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "bank.toml"
    mapping.write_text("[fx_rates]\nUSD = 7.2\neur = 7.9\n", encoding="utf-8")
    balances = BALANCES + "2026-10-31,6200000002,100,0,0,EUR\n"
    job = load_extracts(
        source=write_day(
            tmp_path / "in",
            {"daily_balances": balances, "fx_rates": "date,currency,rate\n2026-10-31,EUR,7.7\n"},
        ),
        load_date=LOAD_DATE,
        mapping_path=mapping,
    )
    assert job.rows_rejected == 0
    # USD from the mapping; EUR from the day's extract, which comes before the mapping's fixed rate.
    assert [r[:6] for r in landed(lake, "daily_balances")] == [
        ("6200000001", 72000.0, 36003.6, 0.0, "USD", 7.2),
        ("6200000002", 770.0, 0.0, 0.0, "EUR", 7.7),
        ("7100000001", 200000.5, 0.0, 10000.0, "CNY", 1.0),
    ]


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('[fx_rates]\nUSD = "seven"\n', "fx_rates.USD: the rate must be a number above zero, not 'seven'"),
        ("[fx_rates]\nUSD = 0\n", "fx_rates.USD: the rate must be a number above zero, not 0"),
        ("[fx_rates]\nDOLLAR = 7\n", "fx_rates: 'DOLLAR' is not a three-letter currency code"),
    ],
)
def test_a_bad_mapping_rate_names_the_file_and_field(
    toml: str, says: str, bank, lake: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "bank.toml"
    mapping.write_text(toml, encoding="utf-8")
    with pytest.raises(MappingError) as error:
        load_extracts(source=write_day(tmp_path / "in"), load_date=LOAD_DATE, mapping_path=mapping)
    assert str(error.value) == f"{mapping}: {says}"
    assert not list(lake.glob("*/date=*/*.parquet"))


def test_a_zero_rate_is_rejected(bank, lake: Path, tmp_path: Path) -> None:
    rates = RATES + "2026-10-31,JPY,0\n"
    job = load_extracts(
        source=write_day(tmp_path / "in", {"fx_rates": rates}), load_date=LOAD_DATE, max_reject_rate=0.5
    )
    assert read_rejects(job.reject_file) == [("fx_rates.csv", 4, "rate", "a rate must be above zero")]


def test_tiers_follow_the_converted_amounts(bank, lake: Path, tmp_path: Path, settings) -> None:
    """A month of balances: 100,000 USD a day at 7.0 is 700,000 (platinum), 100,000 CNY stays gold."""
    settings.KEYCLIENT_PIPELINE_PRICING = {"cost_to_serve": 0.0}
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(31)]
    balances = "date,customer_no,deposit,investment,loan,currency\n" + "".join(
        f"{d},6200000001,100000,0,0,USD\n{d},6200000002,100000,0,0,\n" for d in days
    )
    rates = "date,currency,rate\n" + "".join(f"{d},USD,7\n" for d in days)
    txns = GOOD["transactions"].replace("2026-10-31,7100000001", "2026-10-31,6200000001")
    day = {"daily_balances": balances, "fx_rates": rates, "transactions": txns}
    job = load_extracts(source=write_day(tmp_path / "in", day), load_date=LOAD_DATE, history=True)
    assert job.rows_rejected == 0
    run_date(LOAD_DATE)
    assert sorted(
        TierAssignment.objects.filter(
            as_of=LOAD_DATE, customer__customer_no__in=["6200000001", "6200000002"]
        ).values_list("customer__customer_no", "basis", "qualified_tier")
    ) == [("6200000001", Decimal("700000.00"), "platinum"), ("6200000002", Decimal("100000.00"), "gold")]


def test_a_bank_reporting_in_euros_converts_yuan(bank, lake: Path, tmp_path: Path, settings) -> None:
    settings.KEYCLIENT_REPORTING_CURRENCY = "EUR"
    day = {
        "daily_balances": BALANCES.replace(",USD\n", ",CNY\n"),
        "fx_rates": "date,currency,rate\n2026-10-31,CNY,0.13\n",
    }
    job = load_extracts(source=write_day(tmp_path / "in", day), load_date=LOAD_DATE)
    assert job.rows_rejected == 0
    assert landed(lake, "daily_balances") == [
        ("6200000001", 1300.0, 650.07, 0.0, "CNY", 0.13, 10000.0, 5000.5, 0.0),
        ("7100000001", 200000.5, 0.0, 10000.0, "EUR", 1.0, None, None, None),
    ]
    assert set(Product.objects.values_list("currency", flat=True)) == {"EUR"}  # none declared: reporting
