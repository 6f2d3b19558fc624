"""Two engines, one definition: a small bank through DuckDB and through Spark gives identical results.

The DuckDB engine (`targets.compute_duckdb`, the production default) runs the Ibis definitions of `definitions.py`
compiled to DuckDB SQL; they are compared with the same definitions run on Spark (local mode): same
rows, integer counts and dates equal, money equal to the cent. With and without running state: a run
that reads the state kept by earlier runs equals a bootstrap run of the same date, on either engine.
One SparkSession serves the whole module (it takes 7–30 s to start).
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from keyclient.core import balance_frequency
from keyclient.pipeline import definitions, engine, targets
from keyclient.pipeline.models import ClientBankOutflow, ClientDailyIndicator
from keyclient.pipeline.services import MONEY, run_date
from keyclient.pipeline.tests.test_pipeline import EXPECTED_LI, EXPECTED_ZHANG, LI, ZHANG, D, lake, values
from keyclient.products.models import SignificantTransaction

pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option"),
]
__all__ = ["lake"]  # the hand-built tiny bank's fixture, shared with test_pipeline

BANKS = [("105", "中国建设银行"), ("308", "招商银行"), ("102", "中国工商银行"), ("999", "本行"), (None, None)]
TYPES = ["salary", "card_spend", "transfer_out", "transfer_in", "fee", "product_purchase"]


@pytest.fixture(scope="module")
def spark() -> Iterator[targets.SparkTarget]:
    warehouse = tempfile.mkdtemp(prefix="keyclient-spark-test-")
    os.environ["KEYCLIENT_SPARK_WAREHOUSE"] = warehouse
    logging.getLogger("py4j").setLevel(logging.WARNING)  # py4j logs to a closed stream at exit
    session = targets.spark_session("local[2]")
    yield targets.SparkTarget(session)
    session.stop()
    os.environ.pop("KEYCLIENT_SPARK_WAREHOUSE", None)
    shutil.rmtree(warehouse, ignore_errors=True)


def _write(lake: Path, extract: str, day: date, table: pa.Table) -> None:
    folder = lake / extract / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-0.parquet")


def small_bank(lake: Path, day: date, clients: int = 200, seed: int = 11) -> None:
    """A random bank: 12 days of balances, transactions on 50 days reaching past 30 days (and one day
    outside the 90), holdings with maturities, accounts and products with fee rates."""
    rnd = random.Random(seed)
    customers = [f"62{n:08d}" for n in range(1, clients + 1)]
    money = lambda low, high: round(rnd.uniform(low, high), 2)  # noqa: E731
    for back in range(12):
        d = day - timedelta(days=back)
        rows = [c for c in customers if rnd.random() < 0.97]  # a few clients miss a day
        _write(lake, "daily_balances", d, pa.table({
            "customer_no": rows,
            "deposit": [money(0, 500_000) for _ in rows],
            "investment": [money(0, 200_000) if rnd.random() < 0.4 else 0.0 for _ in rows],
            "loan": [money(0, 900_000) if rnd.random() < 0.2 else 0.0 for _ in rows],
        }))  # fmt: skip
    txn_id = 0
    for back in [*range(0, 50), 95]:
        d = day - timedelta(days=back)
        cols: dict[str, list] = {k: [] for k in [
            "txn_id", "customer_no", "account_bidx", "amount", "direction", "txn_type",
            "counterparty_bank_code", "counterparty_bank_name", "channel", "counterparty_name",
        ]}  # fmt: skip
        for _ in range(rnd.randint(20, 80)):
            txn_id += 1
            kind = rnd.choice(TYPES)
            bank = rnd.choice(BANKS) if kind.startswith("transfer") else (None, None)
            customer = rnd.choice(customers)
            row = [
                txn_id, customer, f"A{customer}{rnd.randint(1, 3)}", money(1, 80_000),
                "C" if kind in ("salary", "transfer_in") else "D", kind, bank[0], bank[1],
                rnd.choice(["mobile", "branch", None]), rnd.choice(["某某", None]),
            ]  # fmt: skip
            for key, value in zip(cols, row, strict=True):
                cols[key].append(value)
        _write(lake, "transactions", d, pa.table(cols, schema=pa.schema([
            ("txn_id", pa.int64()), ("customer_no", pa.string()), ("account_bidx", pa.string()),
            ("amount", pa.float64()), ("direction", pa.string()), ("txn_type", pa.string()),
            ("counterparty_bank_code", pa.string()), ("counterparty_bank_name", pa.string()),
            ("channel", pa.string()), ("counterparty_name", pa.string()),
        ])))  # fmt: skip
    products = ["DP001", "WM001", "TD001"]
    _write(lake, "products", day, pa.table({"product_code": products, "fee_rate": [0.0, 0.01, 0.002]}))
    accounts = [(f"A{c}{n}", c, products[n - 1]) for c in customers for n in (1, 2, 3)]
    _write(lake, "accounts", day, pa.table({
        "account_bidx": [a[0] for a in accounts], "customer_no": [a[1] for a in accounts],
        "product_code": [a[2] for a in accounts],
    }))  # fmt: skip
    held = [a for a in accounts if rnd.random() < 0.6]
    _write(lake, "holdings", day - timedelta(days=3), pa.table({
        "as_of": [day - timedelta(days=3)] * len(held), "customer_no": [a[1] for a in held],
        "account_bidx": [a[0] for a in held], "product_code": [a[2] for a in held],
        "balance": [money(0, 100_000) if rnd.random() < 0.9 else 0.0 for _ in held],
        "maturity_date": [day + timedelta(days=rnd.randint(-5, 60)) if rnd.random() < 0.5 else None for _ in held],
    }))  # fmt: skip


def cents(value: object) -> object:
    if isinstance(value, float):
        return Decimal(repr(round(value, 6))).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return value


MONEY_COLUMNS = MONEY | {"amount"}


def normalised(table: pa.Table, keys: list[str], *, every_float: bool = False) -> list[tuple]:
    """Rows sorted by `keys`, money to the cent (with `every_float`, every float column: the state's sums)."""
    rows = table.to_pylist()
    columns = table.column_names
    money = (
        {c for c in columns if pa.types.is_floating(table.schema.field(c).type)}
        if every_float
        else MONEY_COLUMNS
    )
    out = [
        tuple(
            cents(r[c]) if c in money else (int(r[c]) if isinstance(r[c], Decimal) else r[c]) for c in columns
        )
        for r in rows
    ]
    index = [columns.index(k) for k in keys]
    return sorted(out, key=lambda r: tuple(str(r[i]) for i in index))


def duckdb_engine(lake: Path, day: date, *, keep: bool = False) -> dict[str, pa.Table]:
    """The DuckDB engine's results and state tables for `day` (the state kept in the lake with `keep`)."""
    con = duckdb.connect()
    targets.compute_duckdb(con, lake, day)
    if keep:
        engine.write_state(con, lake, day)
    names = [*KEYS, *STATE_KEYS, "stale"]
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'carried'").fetchall()[0][0]:
        names.append("carried")
    return {name: con.sql(f"SELECT * FROM {name}").to_arrow_table() for name in names}


KEYS = {"daily": ["customer_no"], "bank_flows": ["customer_no", "bank_code"], "events": ["txn_id"]}
STATE_KEYS = {
    "flows": ["customer_no"], "bank_flows": ["customer_no", "bank_code"], "mtd": ["customer_no"],
    "recency": ["customer_no"], "windows": ["customer_no"],
}  # fmt: skip


@pytest.mark.parametrize("day", [date(2026, 10, 31), date(2026, 11, 5)])
def test_duckdb_and_spark_agree_on_a_small_bank(spark, settings, tmp_path: Path, day: date) -> None:
    settings.KEYCLIENT_SIGNIFICANT_AMOUNT = 50_000
    lake = tmp_path / "lake"
    small_bank(lake, day)
    expected = duckdb_engine(lake, day)
    on_spark = definitions.compute(spark, lake, day)
    on_duckdb = definitions.compute(targets.DuckDBTarget(), lake, day)
    assert len(expected["daily"]) > 150 and len(expected["bank_flows"]) > 5 and len(expected["events"]) > 20
    for name, keys in KEYS.items():
        assert on_spark[name].column_names == expected[name].column_names, name
        want = normalised(expected[name], keys)
        assert normalised(on_spark[name], keys) == want, name
        assert normalised(on_duckdb[name], keys) == want, name


def test_pipeline_run_with_spark_writes_the_same_crm_rows(spark, bank, lake: Path) -> None:
    counts = run_date(D, engine_name="spark")
    assert counts == {
        "daily": 2, "bank_outflows": 1, "events": 3, "month_end": 2,
        "value_scores": 5, "tier_assignments": 5, "tier_changes": 5, "positions": 5,
    }  # fmt: skip
    assert values(ZHANG, D) == EXPECTED_ZHANG
    assert values(LI, D) == EXPECTED_LI
    assert list(
        ClientBankOutflow.objects.filter(date=D)
        .order_by("bank_code")
        .values_list("bank_code", "amount", "transfers")
    ) == [("308", Decimal("23.00"), 1)]  # the day's transfers (17 to 105 went on 2 Oct)
    assert list(
        SignificantTransaction.objects.filter(date=D).order_by("txn_id").values_list("txn_id", flat=True)
    ) == [6, 7, 9]
    assert not (lake / "pipeline" / f"date={D}").exists()  # stateless: the DuckDB engine's state is untouched
    run_date(D)  # and the DuckDB engine replaces the date with the same values
    assert values(ZHANG, D) == EXPECTED_ZHANG
    assert ClientDailyIndicator.objects.filter(date=D).count() == 2


def test_a_run_with_state_equals_a_bootstrap_run_and_spark_reads_the_same_state(
    spark, settings, tmp_path: Path
) -> None:
    """A chain of DuckDB runs keeps state (windows summed, then rolled forward across a month start;
    a day leaving the 30-day window read from its kept flows); the partitions that state summarises are
    then deleted, so the next run can only be right by reading the state. Its results and state equal a
    bootstrap run's on the full lake, and Spark reading the same state gives the same."""
    settings.KEYCLIENT_SIGNIFICANT_AMOUNT = 50_000
    day = date(2026, 11, 5)
    full, lake = tmp_path / "full", tmp_path / "lake"
    small_bank(full, day)
    back30 = day - timedelta(days=30)
    for extract in ("daily_balances", "accounts", "products"):  # every run needs balances and the catalog
        _write(full, extract, back30, pq.read_table(full / extract / f"date={day}"))
    bootstrap = duckdb_engine(full, day)
    shutil.copytree(full, lake)
    chain = [back30, *(day - timedelta(days=back) for back in (11, 5, 4, 3, 2, 1))]
    for d in chain:
        duckdb_engine(lake, d, keep=True)
    assert sorted(p.name for p in (lake / "pipeline").iterdir()) == [f"date={d}" for d in chain]
    for d in chain:  # what the state now holds
        shutil.rmtree(lake / "transactions" / f"date={d}")
    for n in range(1, day.day):
        shutil.rmtree(lake / "daily_balances" / f"date={date(day.year, day.month, n)}")

    with_state = duckdb_engine(lake, day)
    on_spark = definitions.compute(spark, lake, day, state=True)
    assert (
        len(with_state["daily"]) > 150 and len(with_state["windows"]) > 150 and len(with_state["events"]) > 20
    )
    for name, keys in KEYS.items():
        want = normalised(bootstrap[name], keys)
        assert normalised(with_state[name], keys) == want, name
        assert on_spark[name].column_names == with_state[name].column_names, name
        assert normalised(on_spark[name], keys) == want, name
    for name, keys in STATE_KEYS.items():
        want = normalised(bootstrap[name], keys, every_float=True)
        assert normalised(with_state[name], keys, every_float=True) == want, name
        assert normalised(on_spark[name], keys, every_float=True) == want, name
    # Without the state the pruned lake gives other numbers: the state was read.
    shutil.rmtree(lake / "pipeline")
    pruned = duckdb_engine(lake, day)
    assert normalised(pruned["daily"], KEYS["daily"]) != normalised(bootstrap["daily"], KEYS["daily"])


def test_spark_keeps_the_state_when_asked_and_duckdb_goes_on_from_it(
    spark, bank, settings, lake: Path
) -> None:
    settings.KEYCLIENT_SPARK_KEEP_STATE = True
    run_date(date(2026, 10, 30), engine_name="spark")
    kept = lake / "pipeline" / "date=2026-10-30"
    assert sorted(p.name for p in kept.iterdir()) == sorted(f"{name}.parquet" for name in STATE_KEYS)
    assert sorted(pq.read_table(kept / "recency.parquet").to_pylist(), key=lambda r: r["customer_no"]) == [
        {"customer_no": ZHANG, "last_txn_date": date(2026, 10, 2)},
        {"customer_no": LI, "last_txn_date": date(2026, 10, 30)},
    ]
    run_date(D)  # the DuckDB engine rolls the windows and month to date on from Spark's state
    assert values(ZHANG, D) == EXPECTED_ZHANG
    assert values(LI, D) == EXPECTED_LI


def snapshot_bank(lake: Path, day: date) -> None:
    """The random bank with its balances as irregular as-of snapshots: one balances date in three
    kept (each client on ~97% of them), declared `snapshot`; the client master loaded twice, the
    second time with ten clients closed."""
    small_bank(lake, day)
    for extract in ("accounts", "products"):  # the catalog for runs of earlier dates (fee rates)
        _write(lake, extract, day - timedelta(days=30), pq.read_table(lake / extract / f"date={day}"))
    for n, folder in enumerate(sorted((lake / "daily_balances").glob("date=*"))):
        if n % 3:
            shutil.rmtree(folder)
        else:
            balance_frequency.write(folder, balance_frequency.SNAPSHOT)
    clients = pq.read_table(next((lake / "daily_balances").glob("date=*")) / "part-0.parquet")["customer_no"]
    for back, closed in ((8, set()), (2, set(clients.to_pylist()[:10]))):
        statuses = ["closed" if c in closed else "active" for c in clients.to_pylist()]
        _write(
            lake,
            "customers",
            day - timedelta(days=back),
            pa.table({"customer_no": clients, "status": statuses}),
        )


@pytest.mark.parametrize("day", [date(2026, 10, 31), date(2026, 11, 5)])
def test_duckdb_and_spark_agree_on_snapshot_balances(spark, settings, tmp_path: Path, day: date) -> None:
    """Snapshot balances carried forward, closed clients zeroed: the same rows on both engines, without
    state and (for 5 Nov) with the state of DuckDB runs from the month's first day."""
    settings.KEYCLIENT_SIGNIFICANT_AMOUNT = 50_000
    lake = tmp_path / "lake"
    snapshot_bank(lake, day)
    want = duckdb_engine(lake, day)
    keys = {"daily": ["customer_no"], "stale": ["customer_no"]}
    got = definitions.compute(spark, lake, day)
    zeroed = [r for r in want["daily"].to_pylist() if r["aum"] == 0 and r["aum_mtd_avg"] > 0]
    assert len(want["daily"]) > 150 and len(zeroed) >= 5  # carried balances, closed clients at zero
    for name, k in keys.items():
        assert normalised(got[name], k) == normalised(want[name], k), name
    if day.day == 1 or day.month != 11:
        return
    for n in range(1, day.day):
        duckdb_engine(lake, date(day.year, day.month, n), keep=True)
    with_state = definitions.compute(spark, lake, day, state=True)
    assert normalised(with_state["daily"], ["customer_no"]) == normalised(want["daily"], ["customer_no"])
    assert normalised(with_state["carried"], ["customer_no"], every_float=True) == normalised(
        duckdb_engine(lake, day)["carried"], ["customer_no"], every_float=True
    )
