"""One lock per batch verb: a second run of the same verb fails clearly (or waits), another verb runs;
an intake load refused by the lock writes nothing; `recover()` leaves a live load's staging alone."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

from keyclient.jobs.locks import BatchLocked, batch_lock


@contextmanager
def held_elsewhere(verb: str, seconds: float = 60) -> Iterator[threading.Event]:
    """Hold `verb`'s lock in another thread (its own database connection) until told to let go."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with batch_lock(verb, wait=0):
                taken.set()
                release.wait(seconds)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert taken.wait(10)
    try:
        yield release
    finally:
        release.set()
        thread.join(10)


@pytest.mark.django_db(transaction=True)
def test_a_second_run_of_the_same_verb_fails_clearly_and_another_verb_runs() -> None:
    with held_elsewhere("intake"):
        with (
            pytest.raises(BatchLocked, match="another intake run is in progress") as refused,
            batch_lock("intake", wait=0),
        ):
            pytest.fail("ran beside the holder")
        assert "only one intake run at a time" in str(refused.value)
        with batch_lock("pipeline", wait=0):  # another verb is not held up
            pass
    # Released: free again; and re-entrant in one thread (a backfill holds it over each date's run).
    with batch_lock("intake", wait=0), batch_lock("intake", wait=0):
        pass


@pytest.mark.django_db(transaction=True)
def test_a_second_run_waits_for_the_first_when_told_to() -> None:
    with held_elsewhere("pipeline") as release:
        threading.Timer(0.5, release.set).start()
        started = time.monotonic()
        with batch_lock("pipeline", wait=30):
            waited = time.monotonic() - started
    assert 0.4 < waited < 20


@pytest.mark.django_db(transaction=True)
def test_an_intake_load_beside_a_running_one_is_refused_and_writes_nothing(settings, tmp_path: Path) -> None:
    from keyclient.intake.models import IntakeJob
    from keyclient.intake.services import load_extracts
    from keyclient.intake.tests.extracts import LOAD_DATE, write_day

    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    source = write_day(tmp_path / "day")
    with held_elsewhere("intake"), pytest.raises(BatchLocked):
        load_extracts(source=source, load_date=LOAD_DATE)
    assert IntakeJob.objects.count() == 0
    assert not (tmp_path / "lake").exists()


def test_recover_leaves_the_staging_of_a_live_load_and_cleans_a_dead_ones(tmp_path: Path) -> None:
    from keyclient.intake import lake as lake_module

    lake = tmp_path / "lake"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = lake_module.new_staging(lake)
        (live / "OWNER").write_text(f"{socket.gethostname()}:{other.pid}")  # a load in another process
        (live / "a" / "date=2026-10-31").mkdir(parents=True)
        assert lake_module.recover(lake) == [f"left {live.name} (another load is writing it)"]
        assert (live / "a" / "date=2026-10-31").is_dir()
    finally:
        other.kill()
        other.wait()
    assert lake_module.recover(lake) == [f"discarded {live.name}"]  # its writer is gone
    assert not live.exists()
