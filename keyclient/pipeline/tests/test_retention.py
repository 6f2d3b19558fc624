"""`prune`: the daily rows older than the retention go, one date per transaction with an audit row;
month ends of the daily table, events and month-end balances stay; a dry run and a refused
retention write nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from keyclient.audit.models import BusinessEvent
from keyclient.pipeline.models import ClientBankOutflow, ClientDailyIndicator
from keyclient.pipeline.retention import prune
from keyclient.products.models import SignificantTransaction

DATES = [
    date(2026, 7, 31),  # month end, old
    date(2026, 8, 15),
    date(2026, 8, 31),  # month end, old
    date(2026, 9, 10),
    date(2026, 10, 6),  # the last date older than 30 days before the newest
    date(2026, 10, 7),  # the first date kept: 30 days ending on the newest
    date(2026, 10, 20),
    date(2026, 11, 5),  # the newest date written
]


@pytest.fixture
def history(bank):  # type: ignore[no-untyped-def]
    zhang, li = bank.customers["zhang"], bank.customers["li"]
    ClientDailyIndicator.objects.bulk_create(
        ClientDailyIndicator(date=d, customer=c, aum=Decimal(n))
        for n, d in enumerate(DATES)
        for c in (zhang, li)
    )
    ClientBankOutflow.objects.bulk_create(
        ClientBankOutflow(date=d, customer=zhang, bank_code="105", amount=Decimal("10.00"), transfers=1)
        for d in DATES
    )
    SignificantTransaction.objects.create(
        txn_id=1,
        date=DATES[1],
        customer=zhang,
        amount=Decimal("90000.00"),
        direction="D",
        txn_type="transfer_out",
    )
    return bank


def daily_dates() -> list[date]:
    return sorted(set(ClientDailyIndicator.objects.values_list("date", flat=True)))


def test_prune_keeps_the_retention_and_every_month_end(history) -> None:  # type: ignore[no-untyped-def]
    events_before = BusinessEvent.objects.count()
    pruned = prune(keep_days=30)
    assert pruned.before == date(2026, 10, 7)
    assert pruned.dates == [
        date(2026, 7, 31),
        date(2026, 8, 15),
        date(2026, 8, 31),
        date(2026, 9, 10),
        date(2026, 10, 6),
    ]
    assert (pruned.daily_rows, pruned.bank_outflow_rows) == (6, 5)  # 3 dates x 2 clients; 5 dates x 1
    assert daily_dates() == [
        date(2026, 7, 31),
        date(2026, 8, 31),
        date(2026, 10, 7),
        date(2026, 10, 20),
        date(2026, 11, 5),
    ]
    assert ClientDailyIndicator.objects.count() == 10
    assert list(ClientBankOutflow.objects.order_by("date").values_list("date", flat=True)) == DATES[5:]
    assert SignificantTransaction.objects.filter(date=DATES[1]).count() == 1  # events are never pruned
    audit = list(
        BusinessEvent.objects.filter(verb="pipeline.prune").order_by("id").values_list("actor_name", "after")
    )
    assert len(audit) == BusinessEvent.objects.count() - events_before == 5
    assert audit[0] == ("job:pipeline.prune", {"date": "2026-07-31", "daily_rows": 0, "bank_outflow_rows": 1})
    assert audit[1] == ("job:pipeline.prune", {"date": "2026-08-15", "daily_rows": 2, "bank_outflow_rows": 1})
    # Again: nothing left to prune, nothing written.
    again = prune(keep_days=30)
    assert (again.daily_rows, again.bank_outflow_rows, again.dates) == (0, 0, [])
    assert BusinessEvent.objects.filter(verb="pipeline.prune").count() == 5


def test_dry_run_counts_and_writes_nothing(history) -> None:  # type: ignore[no-untyped-def]
    events_before = BusinessEvent.objects.count()
    out = StringIO()
    call_command("pipeline", "prune", "--keep-days", "30", "--dry-run", stdout=out)
    assert "would delete 6 daily rows and 5 transfer rows of 5 dates" in out.getvalue()
    assert "rows before 2026-10-07" in out.getvalue()
    assert ClientDailyIndicator.objects.count() == 16
    assert ClientBankOutflow.objects.count() == 8
    assert BusinessEvent.objects.count() == events_before


def test_the_setting_is_the_default(history, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_DAILY_RETENTION_DAYS = 42  # 2026-09-25 .. 2026-11-05
    pruned = prune()
    assert pruned.before == date(2026, 9, 25)
    assert daily_dates() == [date(2026, 7, 31), date(2026, 8, 31), *DATES[4:]]


def test_a_retention_shorter_than_the_readers_need_is_refused(history) -> None:  # type: ignore[no-untyped-def]
    events_before = BusinessEvent.objects.count()
    with pytest.raises(CommandError, match="keep at least 30 days of daily rows \\(asked for 29\\)"):
        call_command("pipeline", "prune", "--keep-days", "29")
    assert ClientDailyIndicator.objects.count() == 16
    assert ClientBankOutflow.objects.count() == 8
    assert BusinessEvent.objects.count() == events_before


def test_nothing_written_yet(db) -> None:  # type: ignore[no-untyped-def]
    pruned = prune(keep_days=30)
    assert (pruned.before, pruned.daily_rows, pruned.dates) == (None, 0, [])
    out = StringIO()
    call_command("pipeline", "prune", stdout=out)
    assert "no daily rows written yet, nothing to prune" in out.getvalue()
    assert not BusinessEvent.objects.filter(verb="pipeline.prune").exists()
