"""The nightly chain on a small generated bank: intake from the inbox, the month end's pipeline run
(which values and tiers), prune; a failing step stops the chain and a re-run resumes after the steps
already done."""

from __future__ import annotations

import io
import itertools
import shutil
import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from keyclient.audit.models import BusinessEvent
from keyclient.customers.models import Customer
from keyclient.demo.generator import generate
from keyclient.jobs.locks import BatchLocked, batch_lock
from keyclient.jobs.models import JobRun, NightlyRun, NightlyStep
from keyclient.jobs.nightly import NightlyFailed, run_nightly, steps_for
from keyclient.jobs.runner import execute
from keyclient.pipeline.models import ClientDailyIndicator
from keyclient.valuation.models import TierAssignment, ValueScore

DAY = date(2026, 10, 31)  # a month end
CUSTOMERS = 120
QUIET = {"stdout": io.StringIO(), "stderr": io.StringIO()}


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nightly-bank")
    generate(out, customers=CUSTOMERS, seed=5, as_of=DAY, months=2)
    return out


@pytest.fixture
def inbox(extracts: Path, settings, tmp_path: Path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    settings.KEYCLIENT_INBOX_DIR = tmp_path / "inbox"
    settings.KEYCLIENT_JOB_HEARTBEAT_SECONDS = 0.05
    monkeypatch.setenv("KEYCLIENT_DEMO_PASSWORD", "Nightly-Test-Password-2026")
    call_command("demo", "org", str(extracts), **QUIET)
    return one_day(extracts, tmp_path / "inbox" / DAY.isoformat(), DAY)


def one_day(src: Path, dst: Path, day: date) -> Path:
    """What the core bank drops in the inbox for `day`: the masters and that day's dated rows only."""
    dst.mkdir(parents=True)
    dated = {"holdings": "as_of", "loans": "date", "daily_balances": "date", "transactions": "date"}
    for name in ("org_units", "staff", "products", "customers", "accounts", "links"):
        shutil.copy(src / f"{name}.parquet", dst / f"{name}.parquet")
    for name, column in dated.items():
        files = f"{src}/{name}.parquet" if (src / f"{name}.parquet").exists() else f"{src}/{name}/*/*.parquet"
        duckdb.sql(
            f"COPY (SELECT * EXCLUDE (month) FROM read_parquet('{files}', hive_partitioning = true)"
            f" WHERE {column} = DATE '{day}') TO '{dst}/{name}.parquet' (FORMAT parquet)"
            if "*" in files
            else f"COPY (SELECT * FROM '{files}' WHERE {column} = DATE '{day}') TO '{dst}/{name}.parquet'"
            " (FORMAT parquet)"
        )
    return dst


def steps(chain: NightlyRun) -> list[tuple[str, int, str, str, int | None]]:
    """(step, position, kind, status, retry of) of every step job, in the order they ran."""
    return [
        (s.name, s.position, s.job.kind, s.job.status, s.job.retry_of_id)
        for s in NightlyStep.objects.filter(chain=chain)
        .select_related("job")
        .order_by("job__started_at", "id")
    ]


def test_a_month_end_chain_values_in_its_pipeline_step_not_twice() -> None:
    assert [(s.name, s.kind) for s in steps_for(DAY)] == [
        ("intake", "intake.load"),
        ("month_end", "valuation.month_end"),
        ("prune", "pipeline.prune"),
    ]
    assert [(s.name, s.kind, s.parameters) for s in steps_for(date(2026, 11, 2))][1:] == [
        ("pipeline", "pipeline.run", {"date": "2026-11-02", "engine": "duckdb"}),
        ("prune", "pipeline.prune", {}),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_nightly_chain_runs_every_step_in_order(inbox: Path) -> None:
    out = io.StringIO()
    call_command("nightly", "--date", DAY.isoformat(), stdout=out, stderr=io.StringIO())

    chain = NightlyRun.objects.get()
    assert (chain.date, chain.status, chain.failed_step, chain.error, chain.attempts) == (
        DAY,
        "done",
        "",
        "",
        1,
    )
    assert steps(chain) == [
        ("intake", 1, "intake.load", "done", None),
        ("month_end", 2, "valuation.month_end", "done", None),
        ("prune", 3, "pipeline.prune", "done", None),
    ]
    runs = [s.job for s in NightlyStep.objects.filter(chain=chain).select_related("job").order_by("position")]
    assert all(a.finished_at <= b.started_at for a, b in itertools.pairwise(runs))
    assert {r.actor_name for r in runs} == {"job:nightly"}
    assert runs[0].parameters == {"source": str(inbox), "date": "2026-10-31"}
    # The intake loaded the bank, the month end computed every client's indicators and valued them.
    assert Customer.objects.count() == CUSTOMERS
    assert ClientDailyIndicator.objects.filter(date=DAY).count() == CUSTOMERS
    assert ValueScore.objects.filter(as_of=DAY).count() == CUSTOMERS
    assert TierAssignment.objects.filter(as_of=DAY).count() == CUSTOMERS
    assert out.getvalue().endswith("nightly 2026-10-31: done\n")
    assert list(BusinessEvent.objects.filter(verb__startswith="nightly.").values_list("verb", flat=True)) == [
        "nightly.started",
        "nightly.done",
    ]

    # Done is done: running the date again runs nothing.
    call_command("nightly", "--date", DAY.isoformat(), **QUIET)
    assert JobRun.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_failing_step_stops_the_chain_and_a_rerun_resumes(inbox: Path, extracts: Path) -> None:
    # 1. A malformed extract: the intake fails, the chain names it, nothing after it runs.
    (inbox / "customers.parquet").write_bytes(b"not a parquet file")
    with pytest.raises(CommandError, match=r"^nightly 2026-10-31 stopped at step intake: "):
        call_command("nightly", "--date", DAY.isoformat(), **QUIET)
    chain = NightlyRun.objects.get()
    assert (chain.status, chain.failed_step, chain.attempts) == ("failed", "intake", 1)
    assert chain.error != ""
    first_intake = JobRun.objects.get()
    assert steps(chain) == [("intake", 1, "intake.load", "failed", None)]
    assert (Customer.objects.count(), ClientDailyIndicator.objects.count()) == (0, 0)
    assert list(BusinessEvent.objects.filter(verb="nightly.failed").values_list("after", flat=True)) == [
        {"date": "2026-10-31", "step": "intake", "job": first_intake.pk}
    ]

    # 2. The extract is fixed, but the pipeline step fails (an unknown engine): the intake is retried
    #    and done, the chain stops at the month end, prune does not run.
    shutil.copy(extracts / "customers.parquet", inbox / "customers.parquet")
    chain = run_nightly(day=DAY, engine="no-such-engine")
    assert (chain.status, chain.failed_step, chain.attempts) == ("failed", "month_end", 2)
    assert "unknown engine 'no-such-engine'" in chain.error
    assert steps(chain) == [
        ("intake", 1, "intake.load", "failed", None),
        ("intake", 1, "intake.load", "done", first_intake.pk),
        ("month_end", 2, "valuation.month_end", "failed", None),
    ]
    assert Customer.objects.count() == CUSTOMERS
    assert ClientDailyIndicator.objects.count() == 0

    # 3. The re-run resumes: the intake is not run again; the month end and prune are.
    failed_month_end = NightlyStep.objects.get(name="month_end").job
    chain = run_nightly(day=DAY)
    assert (chain.status, chain.failed_step, chain.error, chain.attempts) == ("done", "", "", 3)
    assert steps(chain)[3:] == [
        ("month_end", 2, "valuation.month_end", "done", failed_month_end.pk),
        ("prune", 3, "pipeline.prune", "done", None),
    ]
    assert JobRun.objects.filter(kind="intake.load").count() == 2
    assert ValueScore.objects.filter(as_of=DAY).count() == CUSTOMERS
    assert ClientDailyIndicator.objects.filter(date=DAY).count() == CUSTOMERS


@pytest.mark.django_db(transaction=True)
def test_the_nightly_job_kind_fails_naming_the_step(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    settings.KEYCLIENT_INBOX_DIR = tmp_path / "inbox"  # nothing arrived for the date
    settings.KEYCLIENT_JOB_HEARTBEAT_SECONDS = 0.05
    out = io.StringIO()
    call_command("nightly", "--date", "2026-11-02", "--queue", stdout=out)
    job = JobRun.objects.get()
    assert (job.kind, job.parameters, job.actor_name) == (
        "nightly.run",
        {"date": "2026-11-02", "engine": "duckdb"},
        "job:nightly",
    )
    assert out.getvalue() == f"nightly 2026-11-02: queued as job {job.pk}\n"

    with pytest.raises(NightlyFailed):
        execute(job.pk)

    job.refresh_from_db()
    assert job.status == "failed"
    assert "NightlyFailed: nightly 2026-11-02 stopped at step intake: " in job.error
    chain = NightlyRun.objects.get()
    assert (chain.date, chain.status, chain.failed_step) == (date(2026, 11, 2), "failed", "intake")
    assert steps(chain) == [("intake", 1, "intake.load", "failed", None)]
    assert JobRun.objects.count() == 2  # the chain's job and its intake step, nothing after it


@pytest.mark.django_db(transaction=True)
def test_a_second_chain_fails_clearly_while_one_runs(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_INBOX_DIR = tmp_path / "inbox"
    settings.KEYCLIENT_LOCK_DIR = tmp_path / "locks"
    holding, release = threading.Event(), threading.Event()

    def first_chain() -> None:
        try:
            with batch_lock("nightly"):
                holding.set()
                release.wait(60)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_chain)
    thread.start()
    try:
        assert holding.wait(30)
        with pytest.raises(BatchLocked, match=r"^another nightly run is in progress"):
            run_nightly(day=DAY)
    finally:
        release.set()
        thread.join()
    assert (NightlyRun.objects.count(), JobRun.objects.count()) == (0, 0)
    assert not BusinessEvent.objects.filter(verb__startswith="nightly.").exists()
