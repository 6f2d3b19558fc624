"""Which clients the Pareto page is over (active with a positive AUM by default; filters include the
rest), and the concentration of two public bank datasets' balances, as client AUM, against their
published reference figures (../shared/data/README.md)."""

from __future__ import annotations

import csv
import gzip
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest

from keyclient.customers.models import Customer, CustomerPosition
from keyclient.org.services import create_org_unit
from keyclient.valuation.analytics import pareto, top_count
from keyclient.valuation.tests.test_pareto import add_clients


def shared_data() -> Path | None:
    """The shared public datasets: `$KEYCLIENT_SHARED_DATA`, else `shared/data` beside the checkout or
    one level further up (a git worktree)."""
    if os.environ.get("KEYCLIENT_SHARED_DATA"):
        return Path(os.environ["KEYCLIENT_SHARED_DATA"])
    root = Path(__file__).resolve().parents[3]
    for parent in (root.parent, root.parent.parent):
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return None


DATA = shared_data()
needs_data = pytest.mark.skipif(DATA is None, reason="the shared datasets (../shared/data) are not here")


def balances(name: str) -> list[str]:
    """The balance column of a shared dataset, as written (text, so the AUM is exact)."""
    assert DATA is not None
    if name == "churn":
        with (DATA / "bank_churn" / "Churn_Modelling.csv").open(newline="", encoding="utf-8") as f:
            return [row["Balance"] for row in csv.DictReader(f)]
    with gzip.open(DATA / "bank_marketing" / "bank-full.csv.gz", "rt", encoding="utf-8") as f:
        return [row["balance"] for row in csv.DictReader(io.StringIO(f.read()), delimiter=";")]


def load_as_aum(bank, amounts: list[str]):  # type: ignore[no-untyped-def]
    """One client per balance, AUM = the balance, in a branch of their own (bulk, one INSERT per batch)."""
    unit = create_org_unit(code="990000", name="数据集分行", level="branch", parent=bank.units["ho"])
    clients = Customer.objects.bulk_create(
        (
            Customer(
                customer_no=f"DS{n:08d}",
                kind="individual",
                name="",
                id_type="resident_id",
                id_number="",
                home_org_unit=unit,
                tier="mass",
            )
            for n, amount in enumerate(amounts)
        ),
        batch_size=5_000,
    )
    CustomerPosition.objects.bulk_create(
        (
            CustomerPosition(
                customer_id=c.pk, aum=Decimal(amount), kind="individual", status="active",
                home_org_unit=unit, tier="mass",
            )
            for c, amount in zip(clients, amounts, strict=True)
        ),
        batch_size=5_000,
    )  # fmt: skip
    return unit


@needs_data
@pytest.mark.parametrize(
    ("dataset", "clients", "positive", "every_client", "positive_only"),
    [
        ("churn", 10_000, 6_383, Decimal("0.4018"), Decimal("0.2703")),
        ("marketing", 45_211, 37_931, Decimal("0.7447"), Decimal("0.6970")),
    ],
)
def test_the_reference_concentrations_of_public_bank_data(  # type: ignore[no-untyped-def]
    bank, dataset, clients, positive, every_client, positive_only
) -> None:
    unit = load_as_aum(bank, balances(dataset))
    head = bank.user("head_office")
    default = pareto(head, unit=unit)
    aum = default.measures[0]
    assert (aum.clients, aum.negatives) == (positive, 0)
    assert default.population is not None
    assert (default.population.shown, default.population.without_positive_aum) == (
        positive,
        clients - positive,
    )
    assert next(t.clients for t in aum.top if t.percent == 20) == positive // 5
    assert abs(aum.top_20 - positive_only) <= Decimal("0.001")  # within 0.1 percentage point
    everyone = pareto(head, unit=unit, all_balances=True, all_statuses=True).measures[0]
    assert everyone.clients == clients
    assert abs(everyone.top_20 - every_client) <= Decimal("0.001")


def test_the_top_count_is_the_floor_and_at_least_one() -> None:
    assert [top_count(6_383, p) for p in (1, 5, 10, 20)] == [63, 319, 638, 1_276]
    assert [top_count(45, p) for p in (1, 5, 10, 20)] == [1, 2, 4, 9]
    assert top_count(0, 20) == 0


@pytest.fixture
def mixed(bank):  # type: ignore[no-untyped-def]
    """Beside the five persona clients (active, positive AUM): two with zero AUM, one overdrawn, one
    dormant and one closed client with a stale AUM."""
    extra = add_clients(bank, [0, 0, -5_000, 9_000_000, 40_000_000])
    Customer.objects.filter(pk=extra[3].pk).update(status="dormant")
    Customer.objects.filter(pk=extra[4].pk).update(status="closed")
    return extra


def test_by_default_only_active_clients_with_a_positive_aum(bank, mixed) -> None:  # type: ignore[no-untyped-def]
    result = pareto(bank.user("head_office"))
    aum = result.measures[0]
    assert result.population is not None
    assert (
        result.population.shown,
        result.population.without_positive_aum,
        result.population.not_active,
    ) == (
        5,
        3,
        2,
    )
    assert aum.clients == 5
    assert aum.total == Decimal(22_860_000)  # 张三, 李四, 王五, 赵六, 钱七
    assert aum.top[0].share == (Decimal(12_000_000) / 22_860_000).quantize(Decimal("0.000001"))


def test_the_filters_include_the_rest_counting_a_negative_aum_as_zero(bank, mixed) -> None:  # type: ignore[no-untyped-def]
    head = bank.user("head_office")
    balances_too = pareto(head, all_balances=True)
    assert balances_too.population is not None
    assert (balances_too.population.shown, balances_too.population.left_out) == (8, 2)
    aum = balances_too.measures[0]
    assert (aum.clients, aum.total, aum.negatives, aum.negative_sum) == (
        8,
        Decimal(22_860_000),
        1,
        Decimal(-5_000),
    )
    everyone = pareto(head, all_balances=True, all_statuses=True)
    assert everyone.population is not None and everyone.population.left_out == 0
    aum = everyone.measures[0]
    assert (aum.clients, aum.total) == (10, Decimal(71_860_000))
    assert aum.top[0].share == (Decimal(40_000_000) / 71_860_000).quantize(Decimal("0.000001"))
    statuses_only = pareto(head, all_statuses=True)
    assert statuses_only.population is not None
    assert (statuses_only.population.shown, statuses_only.population.without_positive_aum) == (7, 3)


def test_the_page_states_its_population_and_who_was_left_out(bank, mixed, login) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user("head_office"))
    body = client.get("/tiers/pareto/").content.decode()
    assert 'data-left-out="5"' in body
    assert (
        "范围内资产为正的 5 位活跃客户。" in body
        and "未计入：5 位（资产为零或为负 3 位，休眠或已销户 2 位）" in body
    )
    response = client.get("/tiers/pareto/?all_balances=on&all_statuses=on")
    assert response.context["result"].population.left_out == 0
    body = response.content.decode()
    assert "data-left-out" not in body
    assert 'data-negatives="1"' in body


@pytest.mark.parametrize("losers", [10, 39])
def test_many_negative_contributions_never_share_above_100_or_dip_below_zero(bank, losers) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from keyclient.valuation.models import ValueScore

    clients = add_clients(bank, [1_000] * 40)
    ValueScore.objects.bulk_create(
        ValueScore(
            as_of=dt.date(2026, 2, 28),
            customer=c,
            policy_version=1,
            contribution_12m=Decimal(-50_000 if n < losers else 100 * (n + 1)),
        )
        for n, c in enumerate(clients)
    )
    contribution = pareto(bank.user("head_office")).measures[1]
    earners = [100 * (n + 1) for n in range(losers, 40)]
    assert contribution.total == Decimal(sum(earners))
    assert (contribution.negatives, contribution.negative_sum) == (losers, Decimal(-50_000 * losers))
    assert all(Decimal(0) <= t.share <= Decimal(1) for t in contribution.top)
    assert all(y >= 0 for _x, y in contribution.lorenz)
    assert contribution.lorenz[-1] == (Decimal(1), Decimal(1))
    # 45 clients: the top 9 (20%) hold the 9 largest earnings (or all of them when fewer earn).
    top_9 = sum(sorted(earners, reverse=True)[:9])
    assert contribution.top_20 == (Decimal(top_9) / sum(earners)).quantize(Decimal("0.000001"))
