"""How long the CRM database keeps the pipeline's per-client daily rows.

At a million clients `ClientDailyIndicator` grows by a million rows a business date (about 175 MB a
day on SQLite, 64 GB a year). `prune` keeps the last `KEYCLIENT_DAILY_RETENTION_DAYS` days before the
newest date written, and every month end for good (the monthly history of every indicator, a million
rows a month); `ClientBankOutflow` keeps the same days (its readers sum at most 30). Older daily rows
are derived data: the lake keeps the balances and transactions they came from, and
`keyclient pipeline backfill` computes them again. Events (`SignificantTransaction`) and month-end
balances (`BalanceSnapshot`) are never pruned: people act on them and the trend reads them.

Each date goes in its own transaction with its own audit row, so a prune stopped part-way leaves whole
dates and says which; running it again goes on where it stopped. It is a separate command (run it
after the nightly run, or weekly), so that a run costs one day's writes (deleting a date's million
rows takes about 1.2 s on SQLite).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from tqdm import tqdm

from keyclient.audit.actors import Actor, Job
from keyclient.audit.services import record_event
from keyclient.pipeline.models import ClientBankOutflow, ClientDailyIndicator

MIN_RETENTION_DAYS = 30  # `queries.outflow_by_bank` sums up to 30 days of transfers


class RetentionError(ValueError):
    """A retention shorter than the readers of the daily tables need."""


@dataclass
class Pruned:
    """What a prune removed (or, dry, would remove): rows per table and the dates touched."""

    before: date | None  # rows dated before this go (month ends of the daily table stay)
    daily_rows: int = 0
    bank_outflow_rows: int = 0
    dates: list[date] = field(default_factory=list)


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def prune(
    *, keep_days: int | None = None, dry_run: bool = False, actor: Actor | None = None, progress: bool = False
) -> Pruned:
    """Delete the daily rows older than `keep_days` days before the newest date written (default
    `settings.KEYCLIENT_DAILY_RETENTION_DAYS`), one date per transaction; `dry_run` only counts.
    `progress` shows a bar of the dates done (a first prune of a year's rows takes minutes)."""
    keep = settings.KEYCLIENT_DAILY_RETENTION_DAYS if keep_days is None else keep_days
    if keep < MIN_RETENTION_DAYS:
        raise RetentionError(
            f"keep at least {MIN_RETENTION_DAYS} days of daily rows (asked for {keep}): "
            "the transfers-by-bank window reads 30"
        )
    newest = ClientDailyIndicator.objects.aggregate(d=Max("date"))["d"]
    if newest is None:
        return Pruned(before=None)
    result = Pruned(before=newest - timedelta(days=keep - 1))
    day = _next_date(None, result.before)
    bar = tqdm(desc="prune", unit="date", disable=not progress)
    while day is not None:
        daily = ClientDailyIndicator.objects.filter(date=day)
        flows = ClientBankOutflow.objects.filter(date=day)
        keep_daily = is_month_end(day)
        if dry_run:
            counts = (0 if keep_daily else daily.count()), flows.count()
        else:
            with transaction.atomic():
                counts = (0 if keep_daily else daily._raw_delete(daily.db)), flows._raw_delete(flows.db)
                if any(counts):
                    record_event(
                        actor=actor or Job("pipeline.prune"),
                        verb="pipeline.prune",
                        after={"date": str(day), "daily_rows": counts[0], "bank_outflow_rows": counts[1]},
                    )
        if any(counts):
            result.daily_rows += counts[0]
            result.bank_outflow_rows += counts[1]
            result.dates.append(day)
        bar.update(1)
        day = _next_date(day, result.before)
    bar.close()
    return result


def _next_date(after: date | None, before: date) -> date | None:
    """The first date after `after` and before `before` that either table holds (an index seek per
    table: the dates present are walked, never the rows or every calendar day)."""
    found = []
    for model in (ClientDailyIndicator, ClientBankOutflow):
        rows = model.objects.filter(date__lt=before)
        if after is not None:
            rows = rows.filter(date__gt=after)
        if (first := rows.aggregate(d=Min("date"))["d"]) is not None:
            found.append(first)
    return min(found, default=None)
