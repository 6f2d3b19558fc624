"""An overdraft (a negative deposit balance) counts as a loan, never as negative AUM (docs/pipeline.md)."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from keyclient.pipeline.services import run_date
from keyclient.pipeline.tests.test_pipeline import BALANCES, PRICING, build_lake, values, write
from keyclient.products.models import BalanceSnapshot

WANG = "6200000003"
D = date(2026, 10, 31)
OVERDRAWN = {  # date -> (deposit, investment, loan) of 王五
    date(2026, 10, 29): (-50, 10, 0),
    date(2026, 10, 30): (20, 0, 0),
    D: (-100, 40, 200),
}


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    settings.KEYCLIENT_PIPELINE_PRICING = PRICING
    settings.KEYCLIENT_SIGNIFICANT_AMOUNT = 20
    build_lake(tmp_path / "lake")
    for day, rows in BALANCES.items():
        write(
            tmp_path / "lake", "daily_balances", day,
            "customer_no VARCHAR, deposit DOUBLE, investment DOUBLE, loan DOUBLE", [*rows, (WANG, *OVERDRAWN[day])],
        )  # fmt: skip
    return tmp_path / "lake"


# Deposits 0 + 20 + 0, AUM 10 + 20 + 40, loans 50 + 0 + 300 over the 31 days of October; the day's
# contribution: deposits × 0.001 + loans × 0.002 − 0.1 = 0 − 0.08 + 0.5.
EXPECTED = {
    "aum": Decimal("40.00"), "deposit": Decimal("0.00"), "investment": Decimal("40.00"), "loan": Decimal("300.00"),
    "aum_mtd_avg": Decimal("2.26"), "deposit_mtd_avg": Decimal("0.65"), "loan_mtd_avg": Decimal("11.29"),
    "contribution_mtd": Decimal("0.42"),
}  # fmt: skip


@pytest.mark.parametrize("incremental", [True, False], ids=["with state", "bootstrap"])
def test_an_overdraft_is_a_loan_not_negative_aum(incremental: bool, bank, lake: Path) -> None:
    if incremental:
        run_date(date(2026, 10, 29))
        run_date(date(2026, 10, 30))
    run_date(D)
    got = values(WANG, D)
    assert {k: got[k] for k in EXPECTED} == EXPECTED
    assert BalanceSnapshot.objects.filter(as_of=D, customer__customer_no=WANG).values_list(
        "aum", "aum_madb", "deposit", "investment", "loan"
    ).get() == (Decimal("40.00"), Decimal("2.26"), Decimal("0.00"), Decimal("40.00"), Decimal("300.00"))
    shutil.rmtree(lake / "pipeline")
