"""The pipeline's one definition of its inputs, as Ibis expressions: the DuckDB engine (the default)
and Spark run the same code (the targets that run them are in `targets.py`).

`tables(target, lake, day)` builds every table of a business date's run on a target and returns them
as Ibis tables materialised there (`DuckDBTarget`: compiled with `ibis.to_sql` and run as temp tables
of a plain duckdb connection; `SparkTarget`: Ibis's PySpark backend, cached DataFrames):

  daily       one row per client with today's balances: every DAILY indicator of `indicators.py`
  bank_flows  the day's transfers out per client and destination bank (also kept as state)
  events      the day's transactions worth a person's attention
  flows       state: the day's credits, debits, other-bank debits, fee income and count per client
  mtd         state: month-to-date sums (days, AUM, deposits, loans, contribution) per client
  recency     state: the latest transaction date per client
  windows     state: the 30/90-day sums and counts per client (w below)
  carried     state, snapshot balances only: each client's latest balances on or before D
  stale       clients whose latest balance snapshot is older than the horizon (reported)

Balances are daily (each partition the whole bank that day; a missing date of the month is read as
the date before) or as-of snapshots carried forward per client, as the intake recorded with the
partition (`core.balance_frequency`); clients closed in the client master in force on a day hold
zero that day (docs/pipeline.md, "Balances").

The per-client inputs b, m, w, r, h (see `indicators.py`) are built here; the indicators themselves
are the SQL expressions declared once in `indicators.py`, selected over those inputs through the
target's SQL (sqlglot transpiles them for Spark).

Running state kept by earlier runs under `<lake>/pipeline/date=<d>/` (`engine.write_state` writes it) is used
when present; without it the partitions it stands for are read (a bootstrap):

  windows      yesterday's `windows` + today − the day leaving each window (its kept `flows`, else its
               transactions); else summed over 90 days: each day's kept `flows`, else its transactions
  mtd          yesterday's `mtd` + today; else the month's balances, each day with its fee income (from
               its kept `flows`, else its fee and purchase transactions)
  recency      yesterday's `recency` + today; else the latest day in the 90-day window

A run never reads its own date's state, so re-running a date gives the same values. Money is summed
in whole cents (`_money`), so rolling a window forward (adding today, subtracting the day leaving)
gives exactly what summing it again gives, and no order of summation (threads, engines) moves a cent.
A run with state equals a bootstrap run of the same date (`tests/test_spark.py`); only a kept
recency can remember a transaction older than 90 days.

Transactions read for a window are summed straight to one row per client (or client and bank), never
first per client and day: only today's are grouped per day (the `flows` state). On DuckDB each step
is one statement building one temp table from the tables before it and the partitions it needs, each
partition set read as one view (`DuckDBTarget.read`); docs/pipeline.md has the cost model.

Ibis and sqlglot are core dependencies; Spark needs the optional extra (`uv sync --extra spark`).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from django.conf import settings

from keyclient.core import balance_frequency
from keyclient.pipeline.engine import STATE_TABLES, PipelineError, latest_part, part, state_dir
from keyclient.pipeline.indicators import DAILY, pricing

TXN_COLUMNS = {
    "txn_id": "int64",
    "customer_no": "string",
    "account_bidx": "string",
    "amount": "float64",
    "direction": "string",
    "txn_type": "string",
    "counterparty_bank_code": "string",
    "counterparty_bank_name": "string",
    "channel": "string",
    "counterparty_name": "string",
}
BALANCE_COLUMNS = {"customer_no": "string", "deposit": "float64", "investment": "float64", "loan": "float64"}
STATE_COLUMNS: dict[str, dict[str, str]] = {
    "flows": {
        "date": "date", "customer_no": "string", "inflow": "float64", "outflow": "float64",
        "other_bank": "float64", "fee_income": "float64", "n": "int64",
    },
    "bank_flows": {
        "customer_no": "string", "bank_code": "string", "bank_name": "string", "amount": "float64", "n": "int64",
    },
    "mtd": {
        "customer_no": "string", "days": "int64", "sum_aum": "float64", "sum_deposit": "float64",
        "sum_loan": "float64", "sum_contribution": "float64",
    },
    "recency": {"customer_no": "string", "last_txn_date": "date"},
    "windows": {
        "customer_no": "string", "inflow_30d": "float64", "outflow_30d": "float64", "inflow_90d": "float64",
        "outflow_90d": "float64", "other_bank_30d": "float64", "n_30d": "int64", "n_90d": "int64",
    },
    # Kept only when the balances are snapshots: each client's latest observation on or before D.
    "carried": {
        "customer_no": "string", "as_of": "date", "deposit": "float64", "investment": "float64", "loan": "float64",
    },
}  # fmt: skip
assert tuple(STATE_COLUMNS) == (*STATE_TABLES, "carried")
RESULTS = ("daily", "bank_flows", "events", "stale")
MONEY_COLUMNS = ("deposit", "investment", "loan")
WINDOW_DAYS, SHORT_WINDOW_DAYS = 90, 30
ONE = ibis.literal(1, "int64")


def _union(tables: list[ibis.Table]) -> ibis.Table:
    return tables[0] if len(tables) == 1 else ibis.union(*tables)


def _money(x: Any, where: Any = None) -> Any:
    """An exact sum of money: amounts are cents, summed as integers, so that the order of summation
    (threads, engines, state or not) never changes a cent."""
    return (x * 100).round().cast("int64").sum(where=where).cast("float64") / 100


def _other_bank(t: ibis.Table) -> Any:
    """A transfer out to another bank (999, or no code, is this bank)."""
    return (t.txn_type == "transfer_out") & (t.counterparty_bank_code.fill_null("999") != "999")


def _fee(t: ibis.Table) -> Any:
    """Fee income of a transaction: fees, and a product purchase times the product's fee rate."""
    return ibis.cases(
        (t.txn_type == "fee", t.amount),
        (t.txn_type == "product_purchase", t.amount * t.fee_rate.fill_null(0)),
        else_=0.0,
    )


class _Sources:
    """What a run for `day` can read: the lake's partitions and the state kept by earlier runs. Each
    call reads a set of days as one table (one view on DuckDB), with a `date` column."""

    def __init__(self, target: Any, lake: Path, day: date) -> None:
        self.target, self.lake, self.day = target, lake, day

    def days(self, extract: str, days: list[date], columns: dict[str, str]) -> ibis.Table | None:
        """The partitions of `extract` for `days` (those that landed), or None."""
        found = [(d, folder) for d in days if (folder := part(self.lake, extract, d)) is not None]
        if not found:
            return None
        return self.target.read([f for _, f in found], columns, dates=[d for d, _ in found])

    def kept_days(self, days: list[date], name: str = "flows") -> list[date]:
        """Those of `days` before the run's date whose state `name` is kept."""
        return [d for d in days if d < self.day and (state_dir(self.lake, d) / f"{name}.parquet").exists()]

    def kept(self, name: str, days: list[date]) -> ibis.Table | None:
        """The state `name` kept by the runs of `days` (earlier dates: a run never reads its own)."""
        files = [
            f for d in days if d < self.day and (f := state_dir(self.lake, d) / f"{name}.parquet").exists()
        ]
        return self.target.read(files, STATE_COLUMNS[name]) if files else None

    def snapshot(self, extract: str, columns: dict[str, str]) -> ibis.Table | None:
        folder = latest_part(self.lake, extract, self.day)
        return None if folder is None else self.target.read([folder], columns)

    def folders(self, extract: str, before: date | None = None) -> list[tuple[date, Path]]:
        """Every landed partition of `extract` on or before the run's date (before `before` if given)."""
        last = self.day if before is None else min(self.day, before - timedelta(days=1))
        found = [
            (date.fromisoformat(p.name[5:]), p)
            for p in (self.lake / extract).glob("date=*")
            if p.name[5:] <= str(last) and any(p.glob("*.parquet"))
        ]
        return sorted(found)

    def balance_frequency(self) -> str:
        """The declared frequency of the latest balances on or before D (`core.balance_frequency`)."""
        folder = latest_part(self.lake, "daily_balances", self.day)
        return balance_frequency.DAILY if folder is None else balance_frequency.read(folder)


def tables(target: Any, lake: Path, day: date) -> dict[str, ibis.Table]:
    """Every result and state table of `day`, materialised on `target` (see the module docstring)."""
    src = _Sources(target, lake, day)
    keep = target.materialise
    snapshots = src.balance_frequency() == balance_frequency.SNAPSHOT
    first = date(day.year, day.month, 1)
    rolling = day.day > 1 and src.kept("mtd", [day - timedelta(days=1)]) is not None
    # Who is closed on which days: the whole month for a bootstrap, today for a rolled month to date.
    closed = keep("closed", _closed_spans(src, day if rolling else first))
    obs = None
    if snapshots:
        kept_carried = src.kept("carried", [day - timedelta(days=1)])
        obs = None if rolling else keep("obs", _observations(src, first))
        if kept_carried is not None:
            today_rows = src.days("daily_balances", [day], BALANCE_COLUMNS)
            news = [kept_carried] + ([] if today_rows is None else [_as_of(today_rows)])
            carried = keep("carried", _latest(_union(news)))
        else:
            carried = keep(
                "carried", _latest((obs if obs is not None else _observations(src, first)).drop("pos"))
            )
        b = keep("b", _overdrafts(_zero_closed(_today(carried, day), closed)))
        stale = carried.filter(carried.as_of < ibis.date(day - timedelta(days=horizon_days())))
        stale = keep("stale", stale.select("customer_no", "as_of"))
    else:
        today_b = src.days("daily_balances", [day], BALANCE_COLUMNS)
        if today_b is None:
            raise PipelineError(f"no daily balances landed for {day}: run `keyclient intake load` first")
        b = keep("b", _overdrafts(_zero_closed(today_b, closed)))
        stale = keep("stale", target.empty({"customer_no": "string", "as_of": "date"}))
    fee_rates = keep("fee_rates", _fee_rates(src))
    today = src.days("transactions", [day], TXN_COLUMNS)
    if today is None:
        today = target.empty({**TXN_COLUMNS, "date": "date"})
    flows = keep("flows", _flows(today, fee_rates))
    bank_flows = keep("bank_flows", _bank_flows(today))
    events = keep("events", _events(today))
    mtd = keep("mtd", _month_to_date(src, b, flows, fee_rates, closed, obs))
    # Windows and recency roll forward from yesterday's state; without it they are summed again over
    # the 90 days (recency then knows the latest day in the window).
    yesterday = day - timedelta(days=1)
    kept_recency = src.kept("recency", [yesterday])
    kept_windows = src.kept("windows", [yesterday]) if kept_recency is not None else None
    if kept_recency is not None and kept_windows is not None:
        w = keep("windows", _rolled_windows(src, kept_windows, flows, fee_rates))
        recency = keep("recency", _rolled_recency(kept_recency, flows))
    else:
        summed = keep("w", _summed_windows(src, flows))
        w = keep("windows", summed.drop("last_in_window"))
        recency = keep(
            "recency",
            _rolled_recency(kept_recency, flows)
            if kept_recency is not None
            else summed.select("customer_no", last_txn_date=summed.last_in_window),
        )
    h = keep("h", _holdings(src))
    # The declared definitions (indicators.py), verbatim over the inputs b, m, w, r, h.
    selects = ", ".join(f"{i.definition.format(day=day.day)} AS {i.name}" for i in DAILY)
    daily = target.materialise_sql(
        "daily",
        f"""SELECT b.customer_no, {selects}
        FROM {b.get_name()} b JOIN {mtd.get_name()} m ON b.customer_no = m.customer_no
        LEFT JOIN {w.get_name()} w ON b.customer_no = w.customer_no
        LEFT JOIN {recency.get_name()} r ON b.customer_no = r.customer_no
        LEFT JOIN {h.get_name()} h ON b.customer_no = h.customer_no""",  # noqa: S608 - declared indicator definitions over our own tables
    )
    made = {
        "daily": daily, "events": events, "stale": stale,
        "flows": flows, "bank_flows": bank_flows, "mtd": mtd, "recency": recency, "windows": w,
    }  # fmt: skip
    if snapshots:
        made["carried"] = carried
    return made


def _fee_rates(src: _Sources) -> ibis.Table:
    """Account → fee rate of its product, for the products that charge one (others earn no fee).
    Accounts are keyed by the account number's blind index: the lake keeps no number in clear."""
    accounts = src.snapshot("accounts", {"account_bidx": "string", "product_code": "string"})
    products = src.snapshot("products", {"product_code": "string", "fee_rate": "float64"})
    if accounts is None or products is None:
        return src.target.empty({"account_bidx": "string", "fee_rate": "float64"})
    charging = products.filter(products.fee_rate != 0)
    return accounts.join(charging, "product_code").select("account_bidx", "fee_rate")


def _flows(today: ibis.Table, fee_rates: ibis.Table) -> ibis.Table:
    """Today's flows per client (the `flows` state)."""
    t = today.left_join(fee_rates, "account_bidx")
    return t.group_by("date", "customer_no").aggregate(
        inflow=_money(t.amount, where=t.direction == "C"),
        outflow=_money(t.amount, where=t.direction == "D"),
        other_bank=_money(t.amount, where=_other_bank(t)),
        fee_income=_fee(t).sum(),
        n=t.count(),
    )


def _bank_flows(today: ibis.Table) -> ibis.Table:
    """Today's transfers out to other banks per client and bank (the `bank_flows` state)."""
    out = today.filter(_other_bank(today))
    return out.group_by("customer_no", bank_code=out.counterparty_bank_code).aggregate(
        bank_name=out.counterparty_bank_name.max(), amount=_money(out.amount), n=out.count()
    )


def _events(today: ibis.Table) -> ibis.Table:
    """Today's large movements, and money leaving for another bank."""
    threshold = float(settings.KEYCLIENT_SIGNIFICANT_AMOUNT)
    picked = today.filter(
        (today.amount >= threshold) | (_other_bank(today) & (today.amount >= threshold / 5))
    )
    return picked.select(
        "txn_id", "customer_no", "amount", "direction", "txn_type",
        channel=picked.channel.fill_null(""), bank_code=picked.counterparty_bank_code.fill_null(""),
        bank_name=picked.counterparty_bank_name.fill_null(""),
        counterparty_name=picked.counterparty_name.fill_null(""),
    )  # fmt: skip


def _before(day: date, n: int) -> list[date]:
    """The `n - 1` days before `day` (the rest of an n-day window ending on `day`)."""
    return [day - timedelta(days=back) for back in range(1, n)]


def _summed_windows(src: _Sources, flows: ibis.Table) -> ibis.Table:
    """30/90-day sums per client, summed over the whole window: today's flows, the earlier days' kept
    flows, and the transactions of the days without (one row per transaction, summed straight to the
    client: never per day first). With the latest day in the window, for recency."""
    columns = ["date", "customer_no", "inflow", "outflow", "other_bank", "n"]
    earlier = _before(src.day, WINDOW_DAYS)
    kept = src.kept_days(earlier)
    rows = [flows.select(*columns)]
    if (kept_flows := src.kept("flows", kept)) is not None:
        rows.append(kept_flows.select(*columns))
    if (t := src.days("transactions", [d for d in earlier if d not in kept], TXN_COLUMNS)) is not None:
        rows.append(
            t.select(
                "date",
                "customer_no",
                inflow=ibis.cases((t.direction == "C", t.amount)),
                outflow=ibis.cases((t.direction == "D", t.amount)),
                other_bank=ibis.cases((_other_bank(t), t.amount)),
                n=ONE,
            )
        )
    u = _union(rows)
    recent = u.date >= ibis.date(src.day - timedelta(days=SHORT_WINDOW_DAYS - 1))
    return u.group_by("customer_no").aggregate(
        inflow_30d=_money(u.inflow, where=recent).fill_null(0),
        outflow_30d=_money(u.outflow, where=recent).fill_null(0),
        inflow_90d=_money(u.inflow).fill_null(0),
        outflow_90d=_money(u.outflow).fill_null(0),
        other_bank_30d=_money(u.other_bank, where=recent).fill_null(0),
        n_30d=u.n.sum(where=recent).fill_null(0).cast("int64"),
        n_90d=u.n.sum().cast("int64"),
        last_in_window=u.date.max(),
    )


def _day_flows(src: _Sources, d: date, fee_rates: ibis.Table) -> ibis.Table | None:
    """The flows of an earlier day `d`: kept, else from its transactions, else None (no transactions)."""
    if (kept := src.kept("flows", [d])) is not None:
        return kept
    txns = src.days("transactions", [d], TXN_COLUMNS)
    return None if txns is None else _flows(txns, fee_rates)


def _rolled_windows(src: _Sources, kept: ibis.Table, flows: ibis.Table, fee_rates: ibis.Table) -> ibis.Table:
    """Yesterday's windows + today's flows − the flows of the day leaving each window (D-30 for the 30
    days, D-90 for the 90). Money is summed in exact cents, so this equals summing the window again."""

    def signed(f: ibis.Table, short: int, long: int) -> ibis.Table:
        return f.select(
            "customer_no",
            inflow_30d=f.inflow * short, outflow_30d=f.outflow * short,
            inflow_90d=f.inflow * long, outflow_90d=f.outflow * long,
            other_bank_30d=f.other_bank * short, n_30d=f.n * short, n_90d=f.n * long,
        )  # fmt: skip

    rows = [kept, signed(flows, 1, 1)]
    if (left := _day_flows(src, src.day - timedelta(days=SHORT_WINDOW_DAYS), fee_rates)) is not None:
        rows.append(signed(left, -1, 0))
    if (left := _day_flows(src, src.day - timedelta(days=WINDOW_DAYS), fee_rates)) is not None:
        rows.append(signed(left, 0, -1))
    u = _union(rows)
    w = u.group_by("customer_no").aggregate(
        inflow_30d=_money(u.inflow_30d).fill_null(0),
        outflow_30d=_money(u.outflow_30d).fill_null(0),
        inflow_90d=_money(u.inflow_90d).fill_null(0),
        outflow_90d=_money(u.outflow_90d).fill_null(0),
        other_bank_30d=_money(u.other_bank_30d).fill_null(0),
        n_30d=u.n_30d.sum().cast("int64"),
        n_90d=u.n_90d.sum().cast("int64"),
    )
    return w.filter(w.n_90d > 0)  # a client whose 90 days hold no transaction any more


def _month_to_date(
    src: _Sources,
    b: ibis.Table,
    flows: ibis.Table,
    fee_rates: ibis.Table,
    closed: ibis.Table,
    obs: ibis.Table | None,
) -> ibis.Table:
    """Month-to-date sums per client: yesterday's kept sums plus today, else the month's balances
    (daily: each day's rows, a missing date read from the date before; snapshots: `obs` carried
    forward), closed clients' balances zero on the days they are closed."""
    price = pricing()

    def contribution(t: ibis.Table) -> Any:
        return (
            t.deposit * price["deposit_spread"]
            + t.loan * price["loan_spread"]
            + t.investment * price["investment_margin"]
            - price["cost_to_serve"]
        ) / 365.0 + t.fee_income.fill_null(0)

    day = src.day
    kept = src.kept("mtd", [day - timedelta(days=1)]) if day.day > 1 else None
    if kept is not None:
        t = b.drop("date").left_join(flows.select("customer_no", "fee_income"), "customer_no")
        today = t.select(
            "customer_no", days=ONE, sum_aum=t.deposit + t.investment, sum_deposit=t.deposit,
            sum_loan=t.loan, sum_contribution=contribution(t),
        )  # fmt: skip
        u = ibis.union(kept, today)
        return u.group_by("customer_no").aggregate(
            days=u.days.sum().cast("int64"),
            sum_aum=_money(u.sum_aum),
            sum_deposit=_money(u.sum_deposit),
            sum_loan=_money(u.sum_loan),
            sum_contribution=u.sum_contribution.sum(),
        )
    # Bootstrap: every day of the month so far, each with that day's fee income (from the day's kept
    # flows, else from its fee and product-purchase transactions).
    month = [date(day.year, day.month, n) for n in range(1, day.day)]
    kept_days = src.kept_days(month)
    fees = [flows.select("date", "customer_no", "fee_income")]
    if (kept_flows := src.kept("flows", kept_days)) is not None:
        fees.append(kept_flows.select("date", "customer_no", "fee_income"))
    if (t := src.days("transactions", [d for d in month if d not in kept_days], TXN_COLUMNS)) is not None:
        t = t.filter(t.txn_type.isin(["fee", "product_purchase"])).left_join(fee_rates, "account_bidx")
        fees.append(t.group_by("date", "customer_no").aggregate(fee_income=_fee(t).sum()))
    if obs is not None:
        return _carried_month(obs, _union(fees), closed, day)
    # A date of the month that did not land is read from the latest one before it (a gap, reported).
    filled = [(d, folder) for d in [*month, day] if (folder := _filled_part(src.lake, d)) is not None]
    read = src.target.read([f for _, f in filled], BALANCE_COLUMNS, dates=[d for d, _ in filled])
    balances = _overdrafts(_zero_closed(read, closed))
    t = balances.left_join(_union(fees), ["date", "customer_no"])
    return t.group_by("customer_no").aggregate(
        days=t.count(),
        sum_aum=_money(t.deposit + t.investment),
        sum_deposit=_money(t.deposit),
        sum_loan=_money(t.loan),
        sum_contribution=contribution(t).sum(),
    )


def _overdrafts(t: ibis.Table) -> ibis.Table:
    """Balances with an overdraft (a negative deposit) moved to loans: deposits count max(deposit, 0),
    so AUM = max(deposit, 0) + investment never shrinks below the investments, and loans count the
    overdrawn amount as credit exposure (earning the loan spread in the contribution)."""
    overdraft = ibis.greatest(-t.deposit, 0)
    return t.mutate(deposit=ibis.greatest(t.deposit, 0), loan=t.loan + overdraft)


# --- Balances: daily or as-of snapshots, gaps, closed clients -------------------------------------


def horizon_days() -> int:
    """How old a client's latest balance snapshot may be before it is reported as stale."""
    return int(settings.KEYCLIENT_BALANCE_SNAPSHOT_HORIZON_DAYS)


def _filled_part(lake: Path, d: date) -> Path | None:
    """The balances read for date `d`: its own partition, else (a gap) the latest one before it."""
    return part(lake, "daily_balances", d) or latest_part(lake, "daily_balances", d)


def balance_gaps(lake: Path, day: date) -> list[date]:
    """The dates of D's month before D for which daily balances did not land although earlier ones
    did: each is read as the date before it (never as zero) and reported by the run. Snapshot
    balances have no gaps by date (each client's latest snapshot holds)."""
    if (folder := latest_part(lake, "daily_balances", day)) is None:
        return []
    if balance_frequency.read(folder) == balance_frequency.SNAPSHOT:
        return []
    month = [date(day.year, day.month, n) for n in range(1, day.day)]
    return [
        d
        for d in month
        if part(lake, "daily_balances", d) is None and latest_part(lake, "daily_balances", d) is not None
    ]


def _closed_spans(src: _Sources, since: date) -> ibis.Table:
    """Closed clients and the days of the month they are closed, as day-of-month spans [cs, ce) from
    `since` to D. A client is closed on a date when the client master in force then (the latest
    `customers` partition on or before it) says `closed`: the close date is the first such partition's
    date, and the client's positions are zero from it (docs/pipeline.md)."""
    parts = src.folders("customers")
    spans = [p for p in parts if p[0] <= since][-1:] + [p for p in parts if p[0] > since]
    rows = []
    for n, (d, folder) in enumerate(spans):
        start = since.day if d <= since else d.day
        end = spans[n + 1][0].day if n + 1 < len(spans) else src.day.day + 1
        t = src.target.read([folder], {"customer_no": "string", "status": "string"})
        rows.append(
            t.filter(t.status == "closed").select(
                "customer_no", cs=ibis.literal(start, "int64"), ce=ibis.literal(end, "int64")
            )
        )
    if not rows:
        return src.target.empty({"customer_no": "string", "cs": "int64", "ce": "int64"})
    return _union(rows)


def _zero_closed(t: ibis.Table, closed: ibis.Table) -> ibis.Table:
    """Balances rows (with `date`) whose client is closed that day get zero balances (the row stays:
    the client still counts a day, at zero)."""
    c = closed.select(closed_no=closed.customer_no, cs=closed.cs, ce=closed.ce)
    pos = t.date.day().cast("int64")
    j = t.left_join(c, [t.customer_no == c.closed_no, pos >= c.cs, pos < c.ce])
    shut = j.closed_no.notnull()
    zero = {m: ibis.ifelse(shut, 0.0, j[m]) for m in MONEY_COLUMNS}
    return j.select(*[zero.get(name, j[name]).name(name) for name in t.columns])


def _as_of(t: ibis.Table) -> ibis.Table:
    """Partition rows (with `date`) as observations (customer_no, as_of, deposit, investment, loan)."""
    return t.select("customer_no", as_of=t.date, deposit=t.deposit, investment=t.investment, loan=t.loan)


def _latest(obs: ibis.Table) -> ibis.Table:
    """Each client's latest observation (the `carried` state)."""
    last = obs.group_by("customer_no").aggregate(last=obs.as_of.max())
    j = obs.join(last, ["customer_no", obs.as_of == last.last])
    return j.select("customer_no", "as_of", *MONEY_COLUMNS)


def _observations(src: _Sources, first: date) -> ibis.Table:
    """Snapshot balances for the month of D: each client's latest observation before the month (the
    kept `carried` of the day before, else every earlier partition), and the month's partitions to
    D; with `pos`, the day of the month from which each holds (1 for the one before the month)."""
    before = src.kept("carried", [first - timedelta(days=1)])
    if before is None and (parts := src.folders("daily_balances", before=first)):
        earlier = src.target.read([f for _, f in parts], BALANCE_COLUMNS, dates=[d for d, _ in parts])
        before = _latest(_as_of(earlier))
    rows = [] if before is None else [before.mutate(pos=ibis.literal(1, "int64"))]
    if month := [(d, f) for d, f in src.folders("daily_balances") if d >= first]:
        read = _as_of(src.target.read([f for _, f in month], BALANCE_COLUMNS, dates=[d for d, _ in month]))
        rows.append(read.mutate(pos=read.as_of.day().cast("int64")))
    return _union(rows)


def _today(carried: ibis.Table, day: date) -> ibis.Table:
    """Today's balances from the carried snapshots: every client observed on or before D."""
    return carried.select("customer_no", *MONEY_COLUMNS, date=ibis.date(day))


def _carried_month(obs: ibis.Table, fees: ibis.Table, closed: ibis.Table, day: date) -> ibis.Table:
    """Month-to-date sums from snapshots without a client × day table: each observation holds from
    its day `pos` to the client's next one (or D), weighted by those days; minus the days the client
    was closed (overlaps with `closed`); plus fee income on the days a client has a balance."""
    obs = _overdrafts(obs)
    order = ibis.window(group_by="customer_no", order_by=["pos", "as_of"])
    held = obs.mutate(end=obs.pos.lead().over(order).fill_null(day.day + 1))
    held = held.mutate(n=held.end - held.pos)
    c = closed.select(closed_no=closed.customer_no, cs=closed.cs, ce=closed.ce)
    j = held.join(c, held.customer_no == c.closed_no)
    overlap = ibis.least(j.end, j.ce) - ibis.greatest(j.pos, j.cs)
    shut = j.filter(overlap > 0).mutate(w=-overlap)
    firsts = obs.group_by("customer_no").aggregate(first=obs.pos.min())
    f = fees.join(firsts, ["customer_no", fees.date.day().cast("int64") >= firsts.first])
    zero = ibis.literal(0.0, "float64")
    u = _union([
        held.select("customer_no", *MONEY_COLUMNS, w=held.n, n=held.n, fee_income=zero),
        shut.select("customer_no", *MONEY_COLUMNS, w=shut.w, n=ibis.literal(0, "int64"), fee_income=zero),
        f.select(
            "customer_no", deposit=zero, investment=zero, loan=zero, w=ibis.literal(0, "int64"),
            n=ibis.literal(0, "int64"), fee_income=f.fee_income.fill_null(0),
        ),
    ])  # fmt: skip
    price = pricing()
    spread = u.deposit * price["deposit_spread"] + u.loan * price["loan_spread"]
    spread = spread + u.investment * price["investment_margin"]
    return u.group_by("customer_no").aggregate(
        days=u.n.sum().cast("int64"),
        sum_aum=_money((u.deposit + u.investment) * u.w),
        sum_deposit=_money(u.deposit * u.w),
        sum_loan=_money(u.loan * u.w),
        sum_contribution=((spread * u.w - price["cost_to_serve"] * u.n) / 365.0 + u.fee_income).sum(),
    )


def _rolled_recency(kept: ibis.Table, flows: ibis.Table) -> ibis.Table:
    """The latest transaction date per client: yesterday's plus today's."""
    u = ibis.union(kept, flows.select("customer_no", last_txn_date=flows.date))
    return u.group_by("customer_no").aggregate(last_txn_date=u.last_txn_date.max())


def _holdings(src: _Sources) -> ibis.Table:
    """Products held and maturities in (D, D + 30] at the latest holdings snapshot on or before D."""
    hd = src.snapshot(
        "holdings",
        {"customer_no": "string", "product_code": "string", "balance": "float64", "maturity_date": "date"},
    )
    if hd is None:
        return src.target.empty(
            {"customer_no": "string", "products_held": "int64", "maturing_30d_count": "int64", "maturing_30d_amount": "float64"}
        )  # fmt: skip
    maturing = (hd.maturity_date > ibis.date(src.day)) & (
        hd.maturity_date <= ibis.date(src.day + timedelta(days=30))
    )
    return hd.group_by("customer_no").aggregate(
        products_held=hd.product_code.nunique(where=hd.balance > 0),
        maturing_30d_count=hd.count(where=maturing),
        maturing_30d_amount=_money(hd.balance, where=maturing),
    )


def compute(target: Any, lake: Path, day: date, *, state: bool = False) -> dict[str, pa.Table]:
    """`daily`, `bank_flows` and `events` of `day` as Arrow tables (and the state tables with `state`),
    computed by `target` (a DuckDBTarget or SparkTarget)."""
    made = tables(target, lake, day)
    names = RESULTS + (STATE_TABLES if state else ()) + (("carried",) if state and "carried" in made else ())
    try:
        return {name: target.to_arrow(made[name]) for name in names}
    finally:
        target.release()
