"""Feed the month-end run hand-built pipeline results (what `pipeline run` hands it at a month end)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from keyclient.valuation.month_end import run_month_end

MONTH_END = (
    "deposit_madb",
    "investment_madb",
    "loan_madb",
    "contribution_month",
    "aum",
    "outflow_other_banks_30d",
)


def run_month(
    as_of: date,
    clients: dict[str, dict[str, float]],
    *,
    loans: Iterable[tuple[str, float, int, str]] = (),
    holdings: Iterable[tuple[str, float, str]] = (),
    links: Iterable[tuple[str, str]] = (),
) -> dict[str, int]:
    """`clients` maps client number → month-end figures (missing figures are 0)."""
    con = duckdb.connect()
    numbers = list(clients)
    table: dict[str, Any] = {"customer_no": pa.array(numbers, pa.string())}
    for column in MONTH_END:
        table[column] = pa.array([float(clients[n].get(column, 0)) for n in numbers], pa.float64())
    con.register("month_end_arrow", pa.table(table))
    con.execute("CREATE TEMP TABLE month_end AS SELECT * FROM month_end_arrow")
    for name, rows, schema in (
        ("loans", list(loans), [("customer_no", pa.string()), ("balance", pa.float64()),
                                ("overdue_days", pa.int32()), ("classification", pa.string())]),
        ("holdings", list(holdings), [("customer_no", pa.string()), ("balance", pa.float64()),
                                      ("risk_rating", pa.string())]),
        ("links", list(links), [("from_customer_no", pa.string()), ("to_customer_no", pa.string())]),
    ):  # fmt: skip
        columns = list(zip(*rows, strict=True)) if rows else [[] for _f in schema]
        arrow = pa.table({n: pa.array(c, t) for (n, t), c in zip(schema, columns, strict=True)})
        con.register(f"{name}_arrow", arrow)
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    return run_month_end(as_of, con=con)
