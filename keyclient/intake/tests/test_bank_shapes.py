"""Issue 15's second acceptance test: one bank, written twice from one description, loads to the same
client AUM, tiers and Pareto shares in either shape.

- native: the product's own extracts (docs/intake.md "Formats"): daily balances for every day of the
  month, in the reporting currency (CNY);
- its own shape, through a mapping alone: balances keyed by account with the owners in another file
  (joined by the mapping), `YYMMDD` dates with a century pivot, month-end snapshot balances carried
  forward, an account in USD with the day's rates, no national ID, an overdraft.

The amounts are chosen so that a missing carry-forward or conversion changes a client's tier."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from keyclient.customers.models import Customer
from keyclient.valuation.analytics import concentration, population

MONTH_END = date(2026, 10, 31)
BEFORE = date(2026, 9, 30)  # the month end before: its snapshot holds October 1-30
RATES = {BEFORE: Decimal("7.1"), MONTH_END: Decimal("7.2")}  # CNY per USD
# client: (birth date, {snapshot date: (currency, deposit, investment)}); a negative deposit is an overdraft
BANK: dict[str, tuple[date, dict[date, tuple[str, Decimal, Decimal]]]] = {
    "C1": (date(1945, 12, 3), {BEFORE: ("CNY", Decimal(40_000), Decimal(0)),
                               MONTH_END: ("CNY", Decimal(3_140_000), Decimal(0))}),
    "C2": (date(1980, 1, 15), {BEFORE: ("USD", Decimal(100_000), Decimal(0)),
                               MONTH_END: ("USD", Decimal(100_075), Decimal(0))}),
    "C3": (date(1990, 6, 30), {BEFORE: ("CNY", Decimal(-20_000), Decimal(93_000)),
                               MONTH_END: ("CNY", Decimal(62_000), Decimal(93_000))}),
    "C4": (date(1962, 2, 28), {BEFORE: ("CNY", Decimal(8_000_000), Decimal(3_000_000)),
                               MONTH_END: ("CNY", Decimal(124_022), Decimal(0))}),
    "C5": (date(2001, 8, 8), {MONTH_END: ("CNY", Decimal(31_000), Decimal(0))}),  # first seen at the month end
}  # fmt: skip

# Worked by hand: AUM = the monthly average of max(deposit, 0) + investment, in CNY, the September
# snapshot (converted at its own date's rate) holding 30 days and October's 1 day.
EXPECTED = {
    "C1": (Decimal("140000.00"), "gold"),  # (30 × 40,000 + 3,140,000) / 31; carried wrongly: platinum
    "C2": (Decimal("710340.00"), "platinum"),  # (30 × 710,000 + 720,540) / 31; unconverted: gold
    "C3": (Decimal("95000.00"), "gold"),  # (30 × (0 + 93,000) + 155,000) / 31: the overdraft counts zero
    "C4": (Decimal("10649162.00"), "private_banking"),  # (30 × 11,000,000 + 124,022) / 31
    "C5": (Decimal("1000.00"), "mass"),  # 31,000 / 31: nothing before its first snapshot
}
TOTAL = sum(aum for aum, _tier in EXPECTED.values())

MAPPING = """\
# A bank with its own files: balances by account, owners apart, YYMMDD dates, month-end snapshots.
date_format = "%y%m%d"
century_pivot = 30

[sources.clients]
files = "CLIENTS.csv"

[sources.owners]
files = "OWNERS.csv"

[extracts.customers]
source = "clients"

[extracts.customers.fields]
customer_no = "CNO"
kind = { value = "individual" }
name = "NAME"
birth_date = "BORN"
status = { value = "active" }

[extracts.products]
source = "owners"
distinct = true

[extracts.products.fields]
product_code = { value = "CUR" }
name = { value = "Current account" }
category = { value = "deposit" }
risk_rating = { value = "R1" }

[extracts.daily_balances]
files = "BAL.csv"
balance_frequency = "snapshot"
joins = [{ source = "owners", on = { ACCT = "ACCT_NO" } }]

[extracts.daily_balances.fields]
date = "DAY"
customer_no = { column = "OWNER", source = "owners" }
deposit = "DEP"
investment = "INV"
loan = { value = "0" }
currency = "CCY"

[extracts.fx_rates]
files = "FX.csv"

[extracts.fx_rates.fields]
date = "DAY"
currency = "CCY"
rate = "RATE"
"""


def _csv(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def _yymmdd(d: date) -> str:
    return d.strftime("%y%m%d")


def write_native(root: Path) -> Path:
    """The product's formats: every day of October, each client's latest snapshot in CNY."""
    root.mkdir()
    (root / "products.csv").write_text(
        _csv("product_code,name,category,risk_rating", ["CUR,Current account,deposit,R1"])
    )
    (root / "customers.csv").write_text(
        _csv("customer_no,kind,name,birth_date,status", [f"{c},individual,{c},{b},active" for c, (b, _s) in BANK.items()])
    )  # fmt: skip
    rows = []
    for day in (MONTH_END.replace(day=1) + timedelta(days=n) for n in range(MONTH_END.day)):
        for client, (_born, snapshots) in BANK.items():
            seen = [d for d in snapshots if d <= day]
            if seen:
                currency, deposit, investment = snapshots[max(seen)]
                rate = RATES[max(seen)] if currency == "USD" else Decimal(1)
                rows.append(f"{day},{client},{deposit * rate},{investment * rate},0")
    (root / "daily_balances.csv").write_text(_csv("date,customer_no,deposit,investment,loan", rows))
    return root


def write_own_shape(root: Path) -> tuple[Path, Path]:
    """The bank's own files and the mapping that reads them."""
    root.mkdir()
    (root / "CLIENTS.csv").write_text(
        _csv("CNO,NAME,BORN", [f"{c},{c},{_yymmdd(b)}" for c, (b, _s) in BANK.items()])
    )
    (root / "OWNERS.csv").write_text(_csv("ACCT_NO,OWNER", [f"62{n:014d},{c}" for n, c in enumerate(BANK)]))
    (root / "BAL.csv").write_text(
        _csv(
            "DAY,ACCT,CCY,DEP,INV",
            [
                f"{_yymmdd(d)},62{n:014d},{ccy},{dep},{inv}"
                for n, (_c, (_b, snapshots)) in enumerate(BANK.items())
                for d, (ccy, dep, inv) in snapshots.items()
            ],
        )
    )
    (root / "FX.csv").write_text(_csv("DAY,CCY,RATE", [f"{_yymmdd(d)},USD,{r}" for d, r in RATES.items()]))
    mapping = root.parent / "own_shape.toml"
    mapping.write_text(MAPPING)
    return root, mapping


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


@pytest.mark.parametrize("shape", ["native", "own shape"])
def test_one_bank_in_either_shape_gives_the_same_aum_tiers_and_pareto(
    db, lake: Path, tmp_path: Path, shape: str
) -> None:
    if shape == "native":
        source, options = write_native(tmp_path / "in"), []
    else:
        source, mapping = write_own_shape(tmp_path / "in")
        options = ["--mapping", str(mapping)]
    call_command("intake", "load", str(source), "--date", str(MONTH_END), "--history", *options)
    call_command("pipeline", "run", "--date", str(MONTH_END))  # the month end: AUM, then the valuation
    clients = {c.customer_no: c for c in Customer.objects.select_related("position")}
    assert {no: (c.position.aum, c.tier) for no, c in clients.items()} == EXPECTED
    assert {no: c.position.aum_as_of for no, c in clients.items()} == dict.fromkeys(BANK, MONTH_END)
    assert {no: c.birth_date for no, c in clients.items()} == {
        c: b for c, (b, _s) in BANK.items()
    }  # 1945, not 2045
    assert {(c.id_type, c.id_number) for c in clients.values()} == {("", "")}  # no national ID: none made up
    default, counted = population(Customer.objects.all())
    aum = concentration(default, "aum")
    assert (counted.shown, aum.total) == (5, TOTAL)
    top = (EXPECTED["C4"][0] / TOTAL).quantize(Decimal("0.000001"))  # of 5 clients, each top is C4 alone
    assert [(t.percent, t.clients, t.share) for t in aum.top] == [(p, 1, top) for p in (1, 5, 10, 20)]


def test_a_bank_without_balances_still_fails_and_writes_nothing(db, lake: Path, tmp_path: Path) -> None:
    source = write_native(tmp_path / "in")
    (source / "daily_balances.csv").unlink()  # transactions are optional, balances are not
    with pytest.raises(CommandError, match=f"no daily_balances extract under {source}"):
        call_command("intake", "load", str(source), "--date", str(MONTH_END), "--history")
    assert not Customer.objects.exists()
    assert not (lake / "customers").exists()
