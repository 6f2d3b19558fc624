"""The value score follows the bank's own distribution: the largest client of a realistic book scores
near the top, the same in any currency; a missing input is unknown, never risk."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from keyclient.customers.models import Customer
from keyclient.valuation import engine
from keyclient.valuation.models import ValueScore
from keyclient.valuation.policy import default_rules
from keyclient.valuation.tests.monthly import run_month

AS_OF = dt.date(2026, 1, 31)
BIG = "C9999999"
SCORES = ("contribution_score", "risk_score", "prominence_score", "relatedness_score", "value_score")


def book(factor: float = 1.0) -> duckdb.DuckDBPyConnection:
    """2,000 individuals and 200 corporates with log-normal deposits (seeded), a contribution of about
    1.5% a year of their deposits, no KYC date on file (as in most banks' extracts), some loans, risky
    holdings and links; plus one individual with 290 M of deposits. Every amount × `factor`."""
    draw = random.Random(20_261_207)
    rows = []
    for n in range(2_200):
        corporate = n >= 2_000
        deposits = draw.lognormvariate(15.5 if corporate else 11.5, 1.7)
        rows.append((f"C{n:07d}", "corporate" if corporate else "individual", deposits,
                     deposits * 0.015 / 12 * draw.uniform(0.5, 1.5)))  # fmt: skip
    rows.append((BIG, "individual", 290_000_000.0, 290_000_000 * 0.015 / 12))
    con = duckdb.connect()
    numbers = [r[0] for r in rows]
    con.register(
        "clients_arrow",
        pa.table({
            "customer_no": numbers, "id": list(range(1, len(rows) + 1)), "kind": [r[1] for r in rows],
            "risk_assessed_on": pa.array([None] * len(rows), pa.date32()),
            "current_tier": ["mass"] * len(rows),
        }),
    )  # fmt: skip
    con.register(
        "month_end_arrow",
        pa.table({
            "customer_no": numbers, "aum": [r[2] * factor for r in rows], "deposit_madb": [r[2] * factor for r in rows],
            "investment_madb": [0.0] * len(rows), "loan_madb": [0.0] * len(rows),
            "contribution_month": [r[3] * factor for r in rows], "outflow_other_banks_30d": [0.0] * len(rows),
        }),
    )  # fmt: skip
    con.execute("CREATE TEMP TABLE clients AS SELECT * FROM clients_arrow")
    con.execute("CREATE TEMP TABLE month_end AS SELECT * FROM month_end_arrow")
    loans = [
        (numbers[n], 1_000_000.0 * factor, n % 200, "关注" if n % 3 else None) for n in range(0, 2_200, 7)
    ]
    con.execute("CREATE TEMP TABLE loans (customer_no VARCHAR, balance DOUBLE, overdue_days INTEGER, "
                "classification VARCHAR)")  # fmt: skip
    con.executemany("INSERT INTO loans VALUES (?, ?, ?, ?)", loans)
    con.execute("CREATE TEMP TABLE holdings (customer_no VARCHAR, balance DOUBLE, risk_rating VARCHAR)")
    con.executemany(
        "INSERT INTO holdings VALUES (?, ?, ?)",
        [(numbers[n], 500_000.0 * factor, "R4") for n in range(0, 2_200, 11)],
    )
    con.execute("CREATE TEMP TABLE links (from_customer_no VARCHAR, to_customer_no VARCHAR)")
    con.executemany(
        "INSERT INTO links VALUES (?, ?)", [(numbers[n], numbers[n + 1]) for n in range(0, 2_200, 5)]
    )
    engine.compute(con, AS_OF, default_rules())
    return con


def scores(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[float, ...]]:
    columns = ", ".join(SCORES)
    return {row[0]: row[1:] for row in con.execute(f"SELECT customer_no, {columns} FROM valued").fetchall()}


@pytest.fixture(scope="module")
def in_yuan() -> dict[str, tuple[float, ...]]:
    return scores(book())


def test_the_largest_client_of_a_realistic_book_scores_near_the_top(in_yuan) -> None:  # type: ignore[no-untyped-def]
    contribution, risk, _prominence, _relatedness, value = in_yuan[BIG]
    assert (contribution, risk) == (100.0, 0.0)
    assert value >= 90
    # and the spread is used: a tenth of the individuals score at most 10, the median about 50
    individual = sorted(v[4] for k, v in in_yuan.items() if k < "C0002000")
    assert individual[200] <= 10.5 and 40 <= individual[1_000] <= 60


def test_rescaling_every_amount_by_a_currency_factor_changes_no_score(in_yuan) -> None:  # type: ignore[no-untyped-def]
    in_other_currency = scores(book(0.14))
    assert in_other_currency == in_yuan


@pytest.fixture
def lake(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return settings.KEYCLIENT_LAKE_DIR


def test_a_missing_input_is_unknown_never_risk(bank, lake, login) -> None:  # type: ignore[no-untyped-def]
    li, wang = bank.customers["li"], bank.customers["wang"]
    assert Customer.objects.get(pk=li.pk).risk_assessed_on is None  # no assessment on file
    Customer.objects.filter(pk=wang.pk).update(risk_assessed_on=dt.date(2024, 1, 1))  # stale: counts
    run_month(
        AS_OF,
        {li.customer_no: {"deposit_madb": 800_000}, wang.customer_no: {"deposit_madb": 60_000}},
        loans=[(li.customer_no, 1_000_000, None, None), (wang.customer_no, 10_000, None, "次级")],  # type: ignore[list-item]
    )
    unknown = ValueScore.objects.get(customer=li, as_of=AS_OF)
    assert (unknown.kyc_stale, unknown.worst_loan_class, unknown.max_overdue_days, unknown.risk_score) == (
        None,
        "未知",  # LOAN_CLASS_UNKNOWN: shown as unknown, scores nothing
        None,
        Decimal("0.00"),
    )
    known = ValueScore.objects.get(customer=wang, as_of=AS_OF)
    # 次级 60 points (days overdue unknown: none from them) + a stale assessment 15
    assert (known.kyc_stale, known.worst_loan_class, known.max_overdue_days, known.risk_score) == (
        True,
        "次级",
        None,
        Decimal("75.00"),
    )
    html = login(bank.user("rm_hd2")).get(f"/clients/{li.pk}/").content.decode()
    for what in ("kyc", "loan-class", "overdue"):
        assert f'data-unknown="{what}"' in html
    body = login(bank.user("rm_hd2")).get(f"/api/customers/{li.pk}/value/").json()
    risk = body["value"]["indicators"]["risk"]
    assert (risk["kyc_stale"], risk["worst_loan_class"], risk["max_overdue_days"]) == (None, "未知", None)
