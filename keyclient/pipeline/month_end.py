"""At a month end the pipeline hands its results to the valuation: the month's averages and
contribution per client, and the lake's latest loans, holdings (with product risk) and client links."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from keyclient.pipeline.engine import latest_part, scan
from keyclient.valuation.month_end import run_month_end

if TYPE_CHECKING:
    from keyclient.audit.actors import Actor


def value_month(
    con: duckdb.DuckDBPyConnection, lake: Path, day: date, *, actor: Actor | None = None
) -> dict[str, int]:
    """Run the month-end valuation of `day` from the `daily` table of the pipeline run in `con`."""
    con.execute(
        """CREATE OR REPLACE TEMP VIEW month_end AS SELECT customer_no, aum, deposit_mtd_avg AS deposit_madb,
            aum_mtd_avg - deposit_mtd_avg AS investment_madb, loan_mtd_avg AS loan_madb,
            contribution_mtd AS contribution_month, outflow_other_banks_30d FROM daily"""
    )
    if loans := latest_part(lake, "loans", day):
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW loans AS SELECT customer_no, balance::DOUBLE AS balance,
                overdue_days::INTEGER AS overdue_days, classification FROM {scan(loans)}"""  # noqa: S608 - the lake partition path, quoted by lit (a view takes no parameters)
        )
    holdings, products = latest_part(lake, "holdings", day), latest_part(lake, "products", day)
    if holdings and products and "risk_rating" in _columns(con, products):
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW holdings AS SELECT h.customer_no, h.balance::DOUBLE AS balance,
                p.risk_rating FROM {scan(holdings)} h JOIN {scan(products)} p USING (product_code)"""  # noqa: S608 - the lake partition paths, quoted by lit (a view takes no parameters)
        )
    if links := latest_part(lake, "links", day):
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW links AS SELECT from_customer_no, to_customer_no FROM {scan(links)}"  # noqa: S608 - the lake partition path, quoted by lit (a view takes no parameters)
        )
    return run_month_end(day, con=con, actor=actor)


def _columns(con: duckdb.DuckDBPyConnection, folder: Path) -> set[str]:
    return {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {scan(folder)}").fetchall()}  # noqa: S608 - the lake partition path, quoted by lit
