"""The balances' declared frequency (mapping `balance_frequency`) lands with each partition, for the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyclient.audit.models import BusinessEvent
from keyclient.core import balance_frequency
from keyclient.intake.mapping import MappingError
from keyclient.intake.models import IntakeJob
from keyclient.intake.services import load_extracts
from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, write_day


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


def test_snapshot_balances_are_recorded_with_each_partition(bank, lake: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "bank.toml"
    mapping.write_text('[extracts.daily_balances]\nbalance_frequency = "snapshot"\n', encoding="utf-8")
    balances = GOOD["daily_balances"] + "2026-09-30,6200000001,1,2,3\n"  # the month end before
    source = write_day(tmp_path / "in", {"daily_balances": balances})
    job = load_extracts(source=source, load_date=LOAD_DATE, mapping_path=mapping, history=True)
    parts = sorted((lake / "daily_balances").iterdir())
    assert [p.name for p in parts] == ["date=2026-09-30", f"date={LOAD_DATE}"]
    assert [balance_frequency.read(p) for p in parts] == ["snapshot", "snapshot"]
    assert job.counts["balance_frequency"] == "snapshot"
    assert BusinessEvent.objects.get(verb="intake.loaded").after["balance_frequency"] == "snapshot"


def test_daily_is_the_default_and_is_recorded(bank, lake: Path, tmp_path: Path) -> None:
    load_extracts(source=write_day(tmp_path / "in"), load_date=LOAD_DATE)
    assert (lake / "daily_balances" / f"date={LOAD_DATE}" / balance_frequency.FILE).read_text() == "daily"


def test_an_unknown_frequency_fails_naming_the_file_and_field_and_lands_nothing(
    bank, lake: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "bank.toml"
    mapping.write_text('[extracts.daily_balances]\nbalance_frequency = "monthly"\n', encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_extracts(source=write_day(tmp_path / "in"), load_date=LOAD_DATE, mapping_path=mapping)
    assert str(caught.value) == (
        f"{mapping}: 1 problem(s) in the mapping:\n"
        "extract daily_balances: balance_frequency is 'monthly'; expected one of ['daily', 'snapshot']"
    )
    assert not (lake / "daily_balances").exists()
    assert IntakeJob.objects.get().status == IntakeJob.Status.FAILED
