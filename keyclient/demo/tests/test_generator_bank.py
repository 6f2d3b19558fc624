"""Shared fixtures of the generator tests: one 20,000-client bank per test session, read with DuckDB."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from keyclient.demo.generator import generate

N = 20_000
AS_OF = date(2026, 10, 31)
S, D, F, INT = pa.string(), pa.date32(), pa.float64(), pa.int64()
SCHEMAS = {
    "org_units": {"org_code": S, "name": S, "level": S, "parent_code": S, "province": S, "city": S},
    "staff": {"staff_no": S, "name": S, "org_code": S, "role": S, "team_code": S},
    "customers": {
        "customer_no": S, "kind": S, "name": S, "gender": S, "birth_date": D, "industry": S,
        "registration_no": S, "id_type": S, "id_number": S, "mobile": S, "phone2": S, "email": S,
        "address": S, "province": S, "city": S, "home_org_code": S, "rm_staff_no": S, "open_date": D,
        "status": S, "risk_tolerance": S, "risk_assessed_on": D, "tags": S,
    },
    "products": {
        "product_code": S, "name": S, "category": S, "risk_rating": S, "currency": S, "term_days": INT,
        "rate": F, "fee_rate": F,
    },
    "accounts": {"account_no": S, "customer_no": S, "product_code": S, "open_date": D, "status": S, "org_code": S},
    "holdings": {"as_of": D, "customer_no": S, "account_no": S, "product_code": S, "balance": F, "maturity_date": D},
    "loans": {
        "date": D, "loan_no": S, "customer_no": S, "product_code": S, "balance": F, "overdue_days": INT,
        "classification": S, "maturity_date": D,
    },
    "daily_balances": {"date": D, "customer_no": S, "deposit": F, "investment": F, "loan": F},
    "transactions": {
        "txn_id": INT, "date": D, "customer_no": S, "account_no": S, "amount": F, "direction": S, "txn_type": S,
        "channel": S, "counterparty_bank_code": S, "counterparty_bank_name": S, "counterparty_name": S,
    },
    "links": {"from_customer_no": S, "to_customer_no": S, "link_type": S, "role": S, "start_date": D, "source": S},
    "ground_truth/leavers": {
        "customer_no": S, "leave_date": D, "destination_bank_code": S, "destination_bank_name": S, "reason": S,
    },
}  # fmt: skip
PARTITIONED = ("daily_balances", "transactions")


@pytest.fixture(scope="session")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bank20k")
    calls: list[tuple[str, int, int]] = []
    summary = generate(out, customers=N, seed=7, progress=lambda *a: calls.append(a))
    summary["progress_calls"] = calls
    return out, summary


@pytest.fixture(scope="session")
def db(bank: tuple[Path, dict]) -> duckdb.DuckDBPyConnection:
    root, _ = bank
    con = duckdb.connect()
    for name in SCHEMAS:
        view = name.split("/")[-1]
        src = f"{root}/{name}/*/*.parquet" if name in PARTITIONED else f"{root}/{name}.parquet"
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet('{src}', hive_partitioning = false)")
    con.execute(
        """CREATE TABLE madb AS SELECT customer_no, avg(deposit + investment) AS aum FROM daily_balances
        WHERE date >= DATE '2026-10-01' GROUP BY 1"""
    )
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str):  # type: ignore[no-untyped-def]
    return con.execute(sql).fetchone()
