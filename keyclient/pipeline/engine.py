"""The DuckDB engine: one business date's indicators from that date's lake partitions plus the
running state kept under `<lake>/pipeline/date=<D>/`.

State per date (small: one row per client, or per client and bank):
  flows.parquet       the day's credits, debits, other-bank debits and counts per client
  bank_flows.parquet  the day's transfers out per client and destination bank
  mtd.parquet         month-to-date sums (days, AUM, deposits, loans, contribution)
  recency.parquet     last transaction date per client
A run for D reads balances and transactions of D, the state of D-1 (month to date, recency) and
the `flows` of the 89 days before D (the windows). A day whose state is missing (first run after a
history load) is read from its transactions / balances partitions instead.
"""

# ruff: noqa: S608 - DuckDB/SQL text built from declared names, lake paths and dates, never user input;
# values from the extracts are only ever data, not SQL.

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date, timedelta
from pathlib import Path

import duckdb
from django.conf import settings

from keyclient.pipeline.indicators import DAILY, pricing

STATE = "pipeline"


class PipelineError(Exception):
    """The run cannot go on (e.g. no balances landed for the date)."""


def lit(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def part(lake: Path, extract: str, day: date) -> Path | None:
    folder = lake / extract / f"date={day}"
    return folder if any(folder.glob("*.parquet")) else None


def latest_part(lake: Path, extract: str, day: date) -> Path | None:
    """The latest partition on or before `day` (snapshots: catalog, accounts, holdings)."""
    found = sorted(
        p for p in (lake / extract).glob("date=*") if p.name[5:] <= str(day) and any(p.glob("*.parquet"))
    )
    return found[-1] if found else None


def scan(folder: Path) -> str:
    return f"read_parquet({lit(folder / '*.parquet')}, hive_partitioning = false)"


def state_dir(lake: Path, day: date) -> Path:
    return lake / STATE / f"date={day}"


def compute(con: duckdb.DuckDBPyConnection, lake: Path, day: date) -> None:
    """Fill `daily` (one row per client, the DAILY indicators) and `bank_out` (per client and bank),
    and the state tables `flows`, `bank_flows`, `mtd`, `recency` for `day`."""
    balances = part(lake, "daily_balances", day)
    if balances is None:
        raise PipelineError(f"no daily balances landed for {day}: run `keyclient intake load` first")
    price = pricing()
    accounts = latest_part(lake, "accounts", day)
    products = latest_part(lake, "products", day)
    if accounts and products:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE fee_rates AS SELECT a.account_no, p.fee_rate FROM {scan(accounts)} a "
            f"JOIN {scan(products)} p USING (product_code)"
        )
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE fee_rates (account_no VARCHAR, fee_rate DOUBLE)")

    def day_flows(d: date) -> str | None:
        """The per-client flows of day `d`: from the state when kept, else from its transactions."""
        kept = state_dir(lake, d) / "flows.parquet"
        if d != day and kept.exists():
            return f"SELECT * FROM read_parquet({lit(kept)}, hive_partitioning = false)"
        txns = part(lake, "transactions", d)
        if txns is None:
            return None
        return f"""SELECT DATE '{d}' AS date, t.customer_no,
            sum(amount) FILTER (WHERE direction = 'C') AS inflow,
            sum(amount) FILTER (WHERE direction = 'D') AS outflow,
            sum(amount) FILTER (WHERE txn_type = 'transfer_out' AND coalesce(counterparty_bank_code, '999') <> '999') AS other_bank,
            sum(CASE WHEN txn_type = 'fee' THEN amount WHEN txn_type = 'product_purchase' THEN amount * coalesce(f.fee_rate, 0) ELSE 0 END) AS fee_income,
            count(*) AS n
            FROM {scan(txns)} t LEFT JOIN fee_rates f USING (account_no) GROUP BY t.customer_no"""

    today = day_flows(day)
    empty_flows = (
        "SELECT NULL::DATE AS date, NULL::VARCHAR AS customer_no, NULL::DOUBLE AS inflow, NULL::DOUBLE AS outflow, "
        "NULL::DOUBLE AS other_bank, NULL::DOUBLE AS fee_income, NULL::BIGINT AS n WHERE false"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE flows AS {today or empty_flows}")
    txns = part(lake, "transactions", day)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE bank_flows AS SELECT customer_no, counterparty_bank_code AS bank_code,
            any_value(counterparty_bank_name) AS bank_name, sum(amount) AS amount, count(*) AS n
        FROM {scan(txns)} WHERE txn_type = 'transfer_out' AND coalesce(counterparty_bank_code, '999') <> '999'
        GROUP BY ALL"""
        if txns
        else "CREATE OR REPLACE TEMP TABLE bank_flows (customer_no VARCHAR, bank_code VARCHAR, bank_name VARCHAR, amount DOUBLE, n BIGINT)"
    )
    # Events worth a person's attention: large movements, and money leaving for another bank.
    threshold = float(settings.KEYCLIENT_SIGNIFICANT_AMOUNT)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE events AS SELECT txn_id, customer_no, amount, direction, txn_type,
            coalesce(channel, '') AS channel, coalesce(counterparty_bank_code, '') AS bank_code,
            coalesce(counterparty_bank_name, '') AS bank_name, coalesce(counterparty_name, '') AS counterparty_name
        FROM {scan(txns)} WHERE amount >= {threshold} OR (txn_type = 'transfer_out'
            AND coalesce(counterparty_bank_code, '999') <> '999' AND amount >= {threshold / 5})"""
        if txns
        else "CREATE OR REPLACE TEMP TABLE events (txn_id BIGINT, customer_no VARCHAR, amount DOUBLE, direction VARCHAR, "
        "txn_type VARCHAR, channel VARCHAR, bank_code VARCHAR, bank_name VARCHAR, counterparty_name VARCHAR)"
    )
    # Windows: today's flows plus the 89 days before (state, or transactions when no state is kept).
    window = ["SELECT * FROM flows"] + [
        sql for back in range(1, 90) if (sql := day_flows(day - timedelta(days=back)))
    ]
    d30 = day - timedelta(days=29)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE w AS SELECT customer_no,
            sum(inflow) FILTER (WHERE date >= DATE '{d30}') AS inflow_30d, sum(outflow) FILTER (WHERE date >= DATE '{d30}') AS outflow_30d,
            sum(inflow) AS inflow_90d, sum(outflow) AS outflow_90d,
            sum(other_bank) FILTER (WHERE date >= DATE '{d30}') AS other_bank_30d,
            sum(n) FILTER (WHERE date >= DATE '{d30}') AS n_30d, sum(n) AS n_90d, max(date) AS last_in_window
        FROM ({" UNION ALL ".join(window)}) GROUP BY customer_no"""
    )
    bank_window = []
    for back in range(30):
        d = day - timedelta(days=back)
        kept = state_dir(lake, d) / "bank_flows.parquet"
        if d == day:
            bank_window.append("SELECT * FROM bank_flows")
        elif kept.exists():
            bank_window.append(f"SELECT * FROM read_parquet({lit(kept)}, hive_partitioning = false)")
        elif t := part(lake, "transactions", d):
            bank_window.append(
                f"""SELECT customer_no, counterparty_bank_code, any_value(counterparty_bank_name), sum(amount), count(*)
                FROM {scan(t)} WHERE txn_type = 'transfer_out' AND coalesce(counterparty_bank_code, '999') <> '999' GROUP BY ALL"""
            )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE bank_out AS SELECT customer_no, bank_code, max(bank_name) AS bank_name,
            sum(amount) AS amount_30d, sum(n) AS count_30d FROM ({" UNION ALL ".join(bank_window)}) GROUP BY ALL"""
    )
    # Month to date: yesterday's sums plus today's (or, without state, the month's balances so far).
    contribution = (
        f"(b.deposit * {price['deposit_spread']} + b.loan * {price['loan_spread']} + b.investment * "
        f"{price['investment_margin']} - {price['cost_to_serve']}) / 365.0 + coalesce(f.fee_income, 0)"
    )

    def day_sums(d: date, flows_sql: str | None) -> str | None:
        bal = part(lake, "daily_balances", d)
        if bal is None:
            return None
        fees = f"({flows_sql})" if flows_sql else f"({empty_flows})"
        return f"""SELECT b.customer_no, 1 AS days, b.deposit + b.investment AS sum_aum, b.deposit AS sum_deposit,
            b.loan AS sum_loan, {contribution} AS sum_contribution
            FROM {scan(bal)} b LEFT JOIN {fees} f USING (customer_no)"""

    yesterday = day - timedelta(days=1)
    parts = [day_sums(day, "SELECT * FROM flows")]
    if day.day > 1:
        kept = state_dir(lake, yesterday) / "mtd.parquet"
        if kept.exists():
            parts.append(f"SELECT * FROM read_parquet({lit(kept)}, hive_partitioning = false)")
        else:
            parts += [
                day_sums(date(day.year, day.month, n), day_flows(date(day.year, day.month, n)))
                for n in range(1, day.day)
            ]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE mtd AS SELECT customer_no, sum(days) AS days, sum(sum_aum) AS sum_aum,
            sum(sum_deposit) AS sum_deposit, sum(sum_loan) AS sum_loan, sum(sum_contribution) AS sum_contribution
        FROM ({" UNION ALL ".join(p for p in parts if p)}) GROUP BY customer_no"""
    )
    kept = state_dir(lake, yesterday) / "recency.parquet"
    previous = (
        f"SELECT * FROM read_parquet({lit(kept)}, hive_partitioning = false)"
        if kept.exists()
        else "SELECT customer_no, last_in_window AS last_txn_date FROM w"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE recency AS SELECT customer_no, max(last_txn_date) AS last_txn_date FROM (
            {previous} UNION ALL SELECT customer_no, date FROM flows) GROUP BY customer_no"""
    )
    holdings = latest_part(lake, "holdings", day)
    d_plus = day + timedelta(days=30)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE h AS SELECT customer_no, count(DISTINCT product_code) FILTER (WHERE balance > 0) AS products_held,
            count(*) FILTER (WHERE maturity_date > DATE '{day}' AND maturity_date <= DATE '{d_plus}') AS maturing_30d_count,
            sum(balance) FILTER (WHERE maturity_date > DATE '{day}' AND maturity_date <= DATE '{d_plus}') AS maturing_30d_amount
        FROM {scan(holdings)} GROUP BY customer_no"""
        if holdings
        else "CREATE OR REPLACE TEMP TABLE h (customer_no VARCHAR, products_held BIGINT, maturing_30d_count BIGINT, maturing_30d_amount DOUBLE)"
    )
    selects = ", ".join(f"{i.definition.format(day=day.day)} AS {i.name}" for i in DAILY)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE daily AS SELECT b.customer_no, {selects}
        FROM {scan(balances)} b JOIN mtd m USING (customer_no) LEFT JOIN w USING (customer_no)
        LEFT JOIN recency r USING (customer_no) LEFT JOIN h USING (customer_no)"""
    )


def write_state(con: duckdb.DuckDBPyConnection, lake: Path, day: date) -> None:
    """Swap the day's state in: written to a temporary directory, then renamed into place."""
    root = lake / STATE
    root.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    tmp = root / f"_tmp-{token}"
    tmp.mkdir()
    for table in ("flows", "bank_flows", "mtd", "recency"):
        con.execute(f"COPY {table} TO {lit(tmp / f'{table}.parquet')} (FORMAT parquet)")
    target = state_dir(lake, day)
    old = root / f"_old-{token}-date={day}"
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def recover_state(lake: Path) -> None:
    """After a crash: drop unfinished state, put back a previous state whose replacement never landed."""
    root = lake / STATE
    if not root.exists():
        return
    for tmp in root.glob("_tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    for old in root.glob("_old-*"):
        target = root / old.name.split("-", 2)[2]
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(old, target)
