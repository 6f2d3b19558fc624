"""Issue 15's first acceptance test: two public bank datasets (../shared/data, see its README) load
through their example mappings alone (`keyclient intake load DIR --mapping F --date D`), the pipeline
runs for that month end, and the product's own concentration of client AUM equals the datasets'
reference figures: the top 20% of clients by AUM, over every client (a negative balance counted as
zero) and over the active clients with a positive AUM (the Pareto page's default)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from keyclient.customers.models import Customer
from keyclient.intake.tests.test_example_mappings import REPO, shared_data
from keyclient.valuation.analytics import concentration, population

DATA = shared_data()


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return tmp_path / "lake"


@pytest.mark.skipif(
    DATA is None, reason="the public datasets (../shared/data, $KEYCLIENT_SHARED_DATA) are not here"
)
@pytest.mark.parametrize(
    ("mapping", "folder", "day", "clients", "positive", "every_client", "positive_only"),
    [
        ("churn_modelling", "bank_churn", "2019-12-31", 10_000, 6_383, Decimal("0.4018"), Decimal("0.2703")),
        (
            "bank_marketing",
            "bank_marketing",
            "2008-05-31",
            45_211,
            37_931,
            Decimal("0.7447"),
            Decimal("0.6970"),
        ),
    ],
)
def test_a_public_dataset_loads_through_its_mapping_and_gives_its_reference_concentration(
    db, lake: Path, mapping: str, folder: str, day: str, clients: int, positive: int,
    every_client: Decimal, positive_only: Decimal,
) -> None:  # fmt: skip
    assert DATA is not None
    call_command(
        "intake", "load", str(DATA / folder), "--mapping", str(REPO / "examples" / "mappings" / f"{mapping}.toml"),
        "--date", day,
    )  # fmt: skip
    call_command("pipeline", "run", "--date", day)
    assert Customer.objects.count() == clients
    assert set(Customer.objects.values_list("position__aum_as_of", flat=True)) == {date.fromisoformat(day)}
    everyone, counted = population(Customer.objects.all(), all_balances=True, all_statuses=True)
    assert counted.shown == clients
    aum = concentration(everyone, "aum")
    assert aum.clients == clients
    assert aum.top_20 is not None and abs(aum.top_20 - every_client) <= Decimal("0.001")  # 0.1 point
    default, counted = population(Customer.objects.all())
    assert (counted.shown, counted.without_positive_aum, counted.not_active) == (
        positive,
        clients - positive,
        0,
    )
    aum = concentration(default, "aum")
    assert aum.top_20 is not None and abs(aum.top_20 - positive_only) <= Decimal("0.001")
