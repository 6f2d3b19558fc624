"""The indicators as Ibis expressions: one definition that runs on DuckDB and on Apache Spark.

`compute(con, lake, day)` takes an Ibis connection (`ibis.duckdb.connect()` or
`ibis.pyspark.connect(session)`) and returns the three result tables of a business date as Ibis
expressions, with the same columns as the DuckDB engine's (`engine.compute`):

  daily     one row per client with today's balances: every DAILY indicator of `indicators.py`
  bank_out  per client and destination bank: transfers out over 30 days
  events    the day's transactions worth a person's attention

The per-client inputs (b, m, w, r, h) are built here with Ibis; the indicators themselves are the
SQL expressions declared once in `indicators.py`, selected over those inputs through the
connection's SQL (sqlglot transpiles them for Spark). The run is *stateless*: it reads the partitions
it needs (the month's balances, 90 days of transactions, the latest holdings/accounts/products
snapshot) rather than the DuckDB engine's running state, so recency looks back 90 days
(`last_txn_date` is empty for a client whose last transaction is older). Its results equal the DuckDB
engine's bootstrap run (no state) exactly; see `tests/test_spark.py`.

Needs the optional extra `spark` (`uv sync --extra spark`): ibis-framework, sqlglot, pyspark.
"""

# ruff: noqa: S608 - SQL text built from declared indicator names and definitions, never user input.

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
from django.conf import settings
from ibis.backends.sql.datatypes import DuckDBType

from keyclient.pipeline.engine import PipelineError, latest_part, lit, part
from keyclient.pipeline.indicators import DAILY, pricing

TXN_COLUMNS = {
    "txn_id": "int64",
    "customer_no": "string",
    "account_no": "string",
    "amount": "float64",
    "direction": "string",
    "txn_type": "string",
    "counterparty_bank_code": "string",
    "counterparty_bank_name": "string",
    "channel": "string",
    "counterparty_name": "string",
}
BALANCE_COLUMNS = {"customer_no": "string", "deposit": "float64", "investment": "float64", "loan": "float64"}


def _read(con: Any, folder: Path, columns: dict[str, str]) -> ibis.Table:
    """One partition folder, with the columns a run needs cast to fixed types (partitions can differ)."""
    table = con.read_parquet(folder)
    present = set(table.columns)
    return table.select(
        **{
            name: (table[name] if name in present else ibis.null()).cast(kind)
            for name, kind in columns.items()
        }
    )


def _read_days(
    con: Any, lake: Path, extract: str, days: list[date], columns: dict[str, str]
) -> ibis.Table | None:
    tables = [
        _read(con, folder, columns).mutate(date=ibis.date(d))
        for d in days
        if (folder := part(lake, extract, d)) is not None
    ]
    if not tables:
        return None
    return tables[0] if len(tables) == 1 else ibis.union(*tables)


def inputs(con: Any, lake: Path, day: date) -> dict[str, ibis.Table]:
    """The per-client inputs of `day` (see indicators.py): b, m, w, r, h, plus bank_out and events."""
    if part(lake, "daily_balances", day) is None:
        raise PipelineError(f"no daily balances landed for {day}: run `keyclient intake load` first")
    price = pricing()
    d30, d90, d_plus = day - timedelta(days=29), day - timedelta(days=89), day + timedelta(days=30)
    month = [date(day.year, day.month, n) for n in range(1, day.day + 1)]

    txns = _read_days(con, lake, "transactions", [d90 + timedelta(days=n) for n in range(90)], TXN_COLUMNS)
    if txns is None:
        txns = con.empty({**TXN_COLUMNS, "date": "date"})
    accounts, products = latest_part(lake, "accounts", day), latest_part(lake, "products", day)
    if accounts and products:
        fee_rates = (
            _read(con, accounts, {"account_no": "string", "product_code": "string"})
            .join(_read(con, products, {"product_code": "string", "fee_rate": "float64"}), "product_code")
            .select("account_no", "fee_rate")
        )
    else:
        fee_rates = con.empty({"account_no": "string", "fee_rate": "float64"})

    other_bank = (txns.txn_type == "transfer_out") & (txns.counterparty_bank_code.fill_null("999") != "999")
    t = txns.left_join(fee_rates, "account_no")
    fee = ibis.cases(
        (t.txn_type == "fee", t.amount),
        (t.txn_type == "product_purchase", t.amount * t.fee_rate.fill_null(0)),
        else_=0.0,
    )
    # The per-client flows of each day (the DuckDB engine keeps these as `flows.parquet`).
    flows = t.group_by("date", "customer_no").aggregate(
        inflow=t.amount.sum(where=t.direction == "C"),
        outflow=t.amount.sum(where=t.direction == "D"),
        other_bank=t.amount.sum(
            where=(t.txn_type == "transfer_out") & (t.counterparty_bank_code.fill_null("999") != "999")
        ),
        fee_income=fee.sum(),
        n=t.count(),
    )
    recent = flows.date >= ibis.date(d30)
    w = flows.group_by("customer_no").aggregate(
        inflow_30d=flows.inflow.sum(where=recent),
        outflow_30d=flows.outflow.sum(where=recent),
        inflow_90d=flows.inflow.sum(),
        outflow_90d=flows.outflow.sum(),
        other_bank_30d=flows.other_bank.sum(where=recent),
        n_30d=flows.n.sum(where=recent).cast("int64"),
        n_90d=flows.n.sum().cast("int64"),
        last_in_window=flows.date.max(),
    )
    r = w.select("customer_no", last_txn_date=w.last_in_window)

    out = txns.filter(other_bank & (txns.date >= ibis.date(d30)))
    bank_out = out.group_by("customer_no", bank_code=out.counterparty_bank_code).aggregate(
        bank_name=out.counterparty_bank_name.max(), amount_30d=out.amount.sum(), count_30d=out.count()
    )

    # Month to date: the month's balances, each day with that day's fee income.
    balances = _read_days(con, lake, "daily_balances", month, BALANCE_COLUMNS)
    assert balances is not None  # today's partition exists (checked above)
    fees = flows.select("date", "customer_no", "fee_income")
    bf = balances.left_join(fees, ["date", "customer_no"])
    contribution = (
        bf.deposit * price["deposit_spread"]
        + bf.loan * price["loan_spread"]
        + bf.investment * price["investment_margin"]
        - price["cost_to_serve"]
    ) / 365.0 + bf.fee_income.fill_null(0)
    m = bf.group_by("customer_no").aggregate(
        days=bf.count(),
        sum_aum=(bf.deposit + bf.investment).sum(),
        sum_deposit=bf.deposit.sum(),
        sum_loan=bf.loan.sum(),
        sum_contribution=contribution.sum(),
    )
    b = balances.filter(balances.date == ibis.date(day)).drop("date")

    holdings = latest_part(lake, "holdings", day)
    if holdings:
        hd = _read(
            con, holdings,
            {"customer_no": "string", "product_code": "string", "balance": "float64", "maturity_date": "date"},
        )  # fmt: skip
        maturing = (hd.maturity_date > ibis.date(day)) & (hd.maturity_date <= ibis.date(d_plus))
        h = hd.group_by("customer_no").aggregate(
            products_held=hd.product_code.nunique(where=hd.balance > 0),
            maturing_30d_count=hd.count(where=maturing),
            maturing_30d_amount=hd.balance.sum(where=maturing),
        )
    else:
        h = con.empty(
            {"customer_no": "string", "products_held": "int64", "maturing_30d_count": "int64", "maturing_30d_amount": "float64"}
        )  # fmt: skip

    threshold = float(settings.KEYCLIENT_SIGNIFICANT_AMOUNT)
    today = txns.filter(txns.date == ibis.date(day))
    events = today.filter(
        (today.amount >= threshold)
        | (
            (today.txn_type == "transfer_out")
            & (today.counterparty_bank_code.fill_null("999") != "999")
            & (today.amount >= threshold / 5)
        )
    ).select(
        "txn_id", "customer_no", "amount", "direction", "txn_type",
        channel=today.channel.fill_null(""), bank_code=today.counterparty_bank_code.fill_null(""),
        bank_name=today.counterparty_bank_name.fill_null(""), counterparty_name=today.counterparty_name.fill_null(""),
    )  # fmt: skip
    return {"b": b, "m": m, "w": w, "r": r, "h": h, "bank_out": bank_out, "events": events}


def compute(con: Any, lake: Path, day: date) -> dict[str, pa.Table]:
    """`daily`, `bank_out` and `events` of `day`, computed by `con` (a DuckDBTarget or SparkTarget)."""
    parts = inputs(con, lake, day)
    tag = f"{str(day).replace('-', '')}_{uuid.uuid4().hex[:8]}"
    names = {}
    for alias in ("b", "m", "w", "r", "h"):
        names[alias] = f"kc_{alias}_{tag}"
        con.create_view(names[alias], parts[alias])
    # The declared definitions (indicators.py), verbatim: the same text the DuckDB engine selects.
    selects = ", ".join(f"{i.definition.format(day=day.day)} AS {i.name}" for i in DAILY)
    daily = con.query(
        f"""SELECT b.customer_no, {selects}
        FROM {names["b"]} b JOIN {names["m"]} m ON b.customer_no = m.customer_no
        LEFT JOIN {names["w"]} w ON b.customer_no = w.customer_no
        LEFT JOIN {names["r"]} r ON b.customer_no = r.customer_no
        LEFT JOIN {names["h"]} h ON b.customer_no = h.customer_no"""
    )
    return {
        "daily": daily,
        "bank_out": con.to_arrow(parts["bank_out"]),
        "events": con.to_arrow(parts["events"]),
    }


class DuckDBTarget:
    """Runs the Ibis expressions on DuckDB: compiled to DuckDB SQL (`ibis.to_sql`) and executed on a plain
    duckdb connection (Ibis 12's own DuckDB backend calls `fetch_arrow_table`, which DuckDB 2 removed)."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.con = con or duckdb.connect()
        self._count = 0

    def _fresh(self) -> str:
        self._count += 1
        return f"kc_src_{uuid.uuid4().hex[:8]}_{self._count}"

    def read_parquet(self, folder: Path) -> ibis.Table:
        name = self._fresh()
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet({lit(folder / '*.parquet')}, "
            "hive_partitioning = false)"
        )
        described = self.con.execute(f"DESCRIBE {name}").fetchall()
        return ibis.table({row[0]: DuckDBType.from_string(row[1]) for row in described}, name=name)

    def empty(self, schema: dict[str, str]) -> ibis.Table:
        name = self._fresh()
        columns = ", ".join(f"{n} {DuckDBType.to_string(ibis.dtype(k))}" for n, k in schema.items())
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})")
        return ibis.table(schema, name=name)

    def create_view(self, name: str, expr: ibis.Table) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {ibis.to_sql(expr, dialect='duckdb')}")

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        return self.query(ibis.to_sql(expr, dialect="duckdb"))


class SparkTarget:
    """Runs the Ibis expressions on Spark through Ibis's PySpark backend."""

    name = "spark"

    def __init__(self, session: Any = None) -> None:
        self.con = ibis.pyspark.connect(session or spark_session())

    def read_parquet(self, folder: Path) -> ibis.Table:
        # Spark reads the folder; the `date=` in its path is not a column (the folder is the base path).
        return self.con.read_parquet(str(folder))

    def empty(self, schema: dict[str, str]) -> ibis.Table:
        return ibis.memtable({n: [] for n in schema}, schema=schema)

    def create_view(self, name: str, expr: ibis.Table) -> None:
        self.con.create_view(name, expr, overwrite=True)

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql, dialect="duckdb").to_pyarrow()

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        return self.con.to_pyarrow(expr)


# --- Spark ---------------------------------------------------------------------------------------


def spark_master() -> str:
    """`settings.KEYCLIENT_SPARK_MASTER`, else the environment's `KEYCLIENT_SPARK_MASTER`, else local[*]."""
    return getattr(settings, "KEYCLIENT_SPARK_MASTER", None) or os.environ.get(
        "KEYCLIENT_SPARK_MASTER", "local[*]"
    )


def spark_session(master: str | None = None) -> Any:
    """The process's SparkSession (created once; an active one is reused)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = master or spark_master()
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warehouse = os.environ.get("KEYCLIENT_SPARK_WAREHOUSE") or tempfile.mkdtemp(prefix="keyclient-spark-")
    builder = (
        SparkSession.builder.master(master)
        .appName("keyclient-pipeline")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.session.timeZone", "UTC")
    )
    if master.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", "4")
    for key, value in getattr(settings, "KEYCLIENT_SPARK_CONF", {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
