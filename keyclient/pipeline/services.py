"""`run_date` / `backfill`: compute one business date's indicators and write them into the CRM
database, replacing that date's rows in one transaction."""

from __future__ import annotations

import calendar
import os
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from keyclient.audit.actors import Job
from keyclient.audit.services import record_event
from keyclient.core.arrow import fetch_arrow
from keyclient.core.bulk import insert_from_duckdb
from keyclient.core.progress import progress_bar
from keyclient.customers import writer
from keyclient.customers.models import Customer
from keyclient.jobs.locks import batch_lock
from keyclient.pipeline import definitions, engine, targets  # these load Ibis: once per process, not per run
from keyclient.pipeline.indicators import DAILY, INDICATORS
from keyclient.pipeline.models import ClientBankOutflow, ClientDailyIndicator, IndicatorWatermark
from keyclient.pipeline.month_end import value_month
from keyclient.products.models import BalanceSnapshot, SignificantTransaction

if TYPE_CHECKING:
    from keyclient.audit.actors import Actor

ENGINES = ("duckdb", "spark")
CRASH_ENV = "KEYCLIENT_CRASH_AT"  # fault injection for the kill -9 tests
MONEY = {i.name for i in DAILY} - {
    "txn_count_30d",
    "txn_count_90d",
    "last_txn_date",
    "products_held",
    "maturing_30d_count",
}


def lake_dir() -> Path:
    return Path(settings.KEYCLIENT_LAKE_DIR)


@batch_lock("pipeline")  # one run at a time: a run swaps the lake's running state
def run_date(day: date, *, engine_name: str = "duckdb", actor: Actor | None = None) -> dict[str, int]:
    """Compute and write `day`; returns the row counts written.

    Both engines run the one definition of `definitions.py` (Ibis) and read the running state kept in the
    lake: `duckdb` (the default) keeps the day's state; `spark` keeps it only with
    `settings.KEYCLIENT_SPARK_KEEP_STATE`. The results are written by the same code below."""
    if engine_name not in ENGINES:
        raise engine.PipelineError(f"unknown engine {engine_name!r}: use one of {', '.join(ENGINES)}")
    lake = lake_dir()
    engine.recover_state(lake)
    con = duckdb.connect()
    if engine_name == "spark":
        _compute_spark(con, lake, day)
    else:
        targets.compute_duckdb(con, lake, day)
        engine.write_state(con, lake, day)
    if os.environ.get(CRASH_ENV) == "pipeline_after_state":
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
    _register_crm_ids(con, lake)
    report = balance_report(con, lake, day)
    names = [i.name for i in DAILY]
    cols = ", ".join(f"round({n}, 2)::DECIMAL(18, 2)" if n in MONEY else n for n in names)
    counts: dict[str, int] = {}
    with transaction.atomic():
        ClientDailyIndicator.objects.filter(date=day)._raw_delete(ClientDailyIndicator.objects.db)
        counts["daily"] = insert_from_duckdb(
            con,
            f"SELECT DATE '{day}', c.id, {cols} FROM daily JOIN crm_ids c USING (customer_no) ORDER BY c.id",  # noqa: S608 - a date and declared indicator columns
            ClientDailyIndicator._meta.db_table,
            ["date", "customer_id", *names],
        )
        if os.environ.get(CRASH_ENV) == "pipeline_mid_write":
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
        ClientBankOutflow.objects.filter(date=day)._raw_delete(ClientBankOutflow.objects.db)
        counts["bank_outflows"] = insert_from_duckdb(
            con,
            f"""SELECT DATE '{day}', c.id, bank_code, coalesce(bank_name, ''), round(amount, 2)::DECIMAL(18, 2), n
            FROM bank_flows JOIN crm_ids c USING (customer_no) ORDER BY c.id, bank_code""",  # noqa: S608 - a date
            ClientBankOutflow._meta.db_table,
            ["date", "customer_id", "bank_code", "bank_name", "amount", "transfers"],
        )
        SignificantTransaction.objects.filter(date=day)._raw_delete(SignificantTransaction.objects.db)
        counts["events"] = insert_from_duckdb(
            con,
            f"""SELECT txn_id, DATE '{day}', c.id, round(amount, 2)::DECIMAL(18, 2), direction, txn_type, channel,
            bank_code, bank_name, counterparty_name FROM events JOIN crm_ids c USING (customer_no) ORDER BY txn_id""",  # noqa: S608 - a date
            SignificantTransaction._meta.db_table,
            [
                "txn_id", "date", "customer_id", "amount", "direction", "txn_type", "channel",
                "counterparty_bank_code", "counterparty_bank_name", "counterparty_name",
            ],
        )  # fmt: skip
        if day.day == calendar.monthrange(day.year, day.month)[1]:
            BalanceSnapshot.objects.filter(as_of=day)._raw_delete(BalanceSnapshot.objects.db)
            counts["month_end"] = insert_from_duckdb(
                con,
                f"""SELECT DATE '{day}', c.id, round(aum, 2)::DECIMAL(18, 2), round(aum_mtd_avg, 2)::DECIMAL(18, 2),
                round(deposit, 2)::DECIMAL(18, 2), round(investment, 2)::DECIMAL(18, 2), round(loan, 2)::DECIMAL(18, 2)
                FROM daily JOIN crm_ids c USING (customer_no) ORDER BY c.id""",  # noqa: S608 - a date
                BalanceSnapshot._meta.db_table,
                ["as_of", "customer_id", "aum", "aum_madb", "deposit", "investment", "loan"],
            )
            counts.update(value_month(con, lake, day, actor=actor))
            # Last, so that the swap's lock on the position table is held only until the commit.
            counts["positions"] = writer.set_month_positions(day, BalanceSnapshot._meta.db_table)
        _move_watermarks(day)
        counts.update({k: n for k, (n, _) in report.items() if n})
        listed = {f"{k}_listed": shown for k, (n, shown) in report.items() if n}
        after = {"date": str(day), **counts, **listed}
        record_event(actor=actor or Job("pipeline"), verb="pipeline.run", after=after)
    return counts


def balance_report(con: duckdb.DuckDBPyConnection, lake: Path, day: date) -> dict[str, tuple[int, list[str]]]:
    """The balances' gaps for the run of `day`, never read as zero, each as (count, the first 100):
    `balance_gap_days`, the dates of the month to D that landed no daily balances (each read as the
    date before it), and `stale_balance_clients`, the clients whose latest balance snapshot is older
    than `KEYCLIENT_BALANCE_SNAPSHOT_HORIZON_DAYS` (still carried forward). The counts go into the
    run's counts (the job record, the command's output), the lists into its `pipeline.run` event."""
    gaps = [str(d) for d in definitions.balance_gaps(lake, day)]
    stale = con.execute("SELECT count(*) FROM stale").fetchall()[0][0]
    shown = con.execute("SELECT customer_no FROM stale ORDER BY customer_no LIMIT 100").fetchall()
    return {
        "balance_gap_days": (len(gaps), gaps[:100]),
        "stale_balance_clients": (stale, [row[0] for row in shown]),
    }


def _compute_spark(con: duckdb.DuckDBPyConnection, lake: Path, day: date) -> None:
    """Run the Ibis definitions on Spark and land `daily`, `bank_flows`, `events` in `con` for the writes
    (and the day's state, kept when `settings.KEYCLIENT_SPARK_KEEP_STATE` is set)."""
    try:
        target = targets.SparkTarget()
    except ImportError as exc:  # the optional extra is not installed
        raise engine.PipelineError(
            f"--engine spark needs the optional extra `spark` (uv sync --extra spark): {exc}"
        ) from exc
    keep = bool(getattr(settings, "KEYCLIENT_SPARK_KEEP_STATE", False))
    for name, table in definitions.compute(target, lake, day, state=keep).items():
        con.register(f"{name}_arrow", table)
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")  # noqa: S608 - names from RESULTS/STATE_TABLES
        con.unregister(f"{name}_arrow")
    if keep:
        engine.write_state(con, lake, day)


def _register_crm_ids(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """The client master's keys as the DuckDB table `crm_ids` (customer_no → id).

    Reading a million keys out of the CRM costs seconds a run, and they rarely change: they are kept
    in `<lake>/_crm/customer_ids.parquet` with the database, the number of clients and the largest id
    they were read at, and read again when any of these differ (a client added or deleted; a client's
    number and id never change)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), max(id) FROM {Customer._meta.db_table}")  # noqa: S608 - the model's table name
        count, largest = cursor.fetchone()
    token = f"{connection.vendor}:{connection.settings_dict['NAME']}:{count}:{largest}"
    cache, marker = lake / "_crm" / "customer_ids.parquet", lake / "_crm" / "customer_ids.token"
    if not (cache.exists() and marker.exists() and marker.read_text() == token):
        keys = fetch_arrow(
            f"SELECT customer_no, id FROM {Customer._meta.db_table}",  # noqa: S608 - the model's table name
            [],
            pa.schema([("customer_no", pa.string()), ("id", pa.int64())]),
        )
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        pq.write_table(keys, tmp)
        os.replace(tmp, cache)
        marker.write_text(token)
    con.execute("CREATE TEMP TABLE crm_ids AS SELECT * FROM read_parquet($path)", {"path": str(cache)})


def _move_watermarks(day: date) -> None:
    """Every indicator's watermark forward to `day` (never back: re-running an earlier date keeps it),
    in two statements rather than two per indicator."""
    names = [i.name for i in INDICATORS]
    IndicatorWatermark.objects.filter(indicator__in=names, through_date__lt=day).update(
        through_date=day, updated_at=timezone.now()
    )
    IndicatorWatermark.objects.bulk_create(
        [IndicatorWatermark(indicator=name, through_date=day) for name in names], ignore_conflicts=True
    )


@batch_lock("pipeline")  # held over every date (re-entrant)
def backfill(
    first: date, last: date, *, engine_name: str = "duckdb", month_ends: bool = False, progress: bool = False
) -> list[date]:
    """Run every date from `first` to `last` in order (each run reuses the previous day's state);
    `month_ends` runs only the last day of each month (the monthly snapshots, e.g. for a demo)."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if month_ends:
        days = [d for d in days if (d + timedelta(days=1)).day == 1]
    for day in progress_bar(days, desc="pipeline", unit="day", disable=not progress):
        run_date(day, engine_name=engine_name)
    return days
