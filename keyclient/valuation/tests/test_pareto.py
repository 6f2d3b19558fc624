"""Pareto concentration: the shares the top 1/5/10/20% of clients hold and the Lorenz curve, checked
against independent plain SQL (ORDER BY … LIMIT k, no window functions), in the user's scope, by org
unit and segment; the page and its chart."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

import pytest
from django.db import connection

from keyclient.core.charts import lorenz_chart
from keyclient.customers.models import Customer
from keyclient.valuation.analytics import SHARE, TOP_PERCENTS, concentration, pareto, scoped_clients
from keyclient.valuation.models import ValueScore
from tests.personas import place

JAN, FEB = dt.date(2026, 1, 31), dt.date(2026, 2, 28)


def add_clients(bank, amounts, *, unit="zgc", rm="rm_hd", kind="individual", tier="gold", start=0):  # type: ignore[no-untyped-def]
    """Clients with the given AUM (whole yuan, so that SQLite's float sums are exact)."""
    amounts = list(amounts)
    made = Customer.objects.bulk_create(
        Customer(
            customer_no=f"64{start + n:08d}",
            kind=kind,
            name=f"帕累托{start + n}",
            id_type="resident_id",
            id_number="x",
            home_org_unit=bank.units[unit],
            primary_rm=bank.user(rm),
            tier=tier,
        )
        for n, _amount in enumerate(amounts)
    )
    made = list(
        Customer.objects.filter(customer_no__in=[c.customer_no for c in made]).order_by("customer_no")
    )
    place({c: Decimal(amount) for c, amount in zip(made, amounts, strict=True)}, None)
    return made


def independent_share(measure: str, percent: int, *, where: str = "1 = 1", params=(), as_of=None) -> Decimal:  # type: ignore[no-untyped-def]
    """The top `percent`% share by plain SQL over the active clients with a positive AUM: count, total of
    the values above zero, then the sum of the k = max(1, ⌊n × percent / 100⌋) largest."""
    column = {"aum": "p.aum", "contribution": "s.contribution_12m", "value": "s.value_score"}[measure]
    base = f"""SELECT CASE WHEN COALESCE({column}, 0) > 0 THEN COALESCE({column}, 0) ELSE 0 END AS v
        FROM customers_customer c
        LEFT JOIN customers_customerposition p ON p.customer_id = c.id
        LEFT JOIN valuation_valuescore s ON s.customer_id = c.id AND s.as_of = %s
        WHERE c.status = 'active' AND p.aum > 0 AND {where}"""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), SUM(v) FROM ({base}) t", [as_of, *params])
        n, total = cursor.fetchone()
        k = max(1, math.floor(n * percent / 100))
        cursor.execute(
            f"SELECT SUM(v) FROM (SELECT v FROM ({base}) t ORDER BY v DESC LIMIT %s) top", [as_of, *params, k]
        )
        (top,) = cursor.fetchone()
    return (Decimal(str(top)) / Decimal(str(total))).quantize(SHARE)


def shares(result) -> dict[int, Decimal]:  # type: ignore[no-untyped-def]
    return {t.percent: t.share for t in result.top}


@pytest.fixture
def book(bank):  # type: ignore[no-untyped-def]
    """40 more clients of rm_hd at the 中关村 outlet (AUM 1,000 … 40,000 and one of 5,000,000), with value
    scores in January and February (February is the latest: contribution 100 × n, some negative)."""
    clients = add_clients(bank, [1_000 * (n + 1) for n in range(39)] + [5_000_000])
    everyone = list(Customer.objects.order_by("id"))
    ValueScore.objects.bulk_create(
        ValueScore(
            as_of=JAN, customer=c, policy_version=1, contribution_12m=Decimal(999), value_score=Decimal(1)
        )
        for c in everyone
    )
    ValueScore.objects.bulk_create(
        ValueScore(
            as_of=FEB,
            customer=c,
            policy_version=1,
            contribution_12m=Decimal(100 * n - 500),
            value_score=Decimal(n % 7 * 10),
        )
        for n, c in enumerate(everyone)
    )
    return clients


@pytest.mark.parametrize("measure", ["aum", "contribution", "value"])
def test_head_office_shares_equal_plain_sql(bank, book, measure) -> None:  # type: ignore[no-untyped-def]
    result = pareto(bank.user("head_office"))
    assert result.value_as_of == FEB
    found = next(m for m in result.measures if m.measure == measure)
    assert found.clients == 45
    assert [t.clients for t in found.top] == [1, 2, 4, 9]  # max(1, floor(45 × p%))
    assert shares(found) == {p: independent_share(measure, p, as_of=FEB) for p in TOP_PERCENTS}


def test_exact_figures_of_the_hand_built_book(bank, book) -> None:  # type: ignore[no-untyped-def]
    aum = pareto(bank.user("head_office")).measures[0]
    total = 12_000_000 + 800_000 + 60_000 + 7_000_000 + 3_000_000 + 780_000 + 5_000_000
    assert aum.total == Decimal(total) == Decimal(28_640_000)
    # top 1 (张三 12,000,000); top 2 (+ 赵六 7,000,000); top 4 (+ 5,000,000 + 3,000,000); top 9 (+ 800,000,
    # 60,000, 39,000, 38,000, 37,000)
    assert shares(aum) == {
        1: (Decimal(12_000_000) / total).quantize(SHARE),
        5: (Decimal(19_000_000) / total).quantize(SHARE),
        10: (Decimal(27_000_000) / total).quantize(SHARE),
        20: (Decimal(27_974_000) / total).quantize(SHARE),
    }
    assert shares(aum)[20] == Decimal("0.976746")


def test_the_lorenz_curve_has_a_point_per_client_in_a_small_book(bank, book) -> None:  # type: ignore[no-untyped-def]
    aum = pareto(bank.user("head_office")).measures[0]
    assert len(aum.lorenz) == 46  # the origin and 45 clients (fewer than the 50 steps)
    assert aum.lorenz[0] == (Decimal(0), Decimal(0)) and aum.lorenz[-1] == (Decimal(1), Decimal(1))
    # The two smallest clients: 1,000 and 2,000 of 28,640,000.
    assert aum.lorenz[2] == ((Decimal(2) / 45).quantize(SHARE), (Decimal(3_000) / 28_640_000).quantize(SHARE))
    assert all(a[1] <= b[1] for a, b in zip(aum.lorenz, aum.lorenz[1:], strict=False))
    assert aum.chart is not None and aum.chart.points == 46


def test_a_large_book_is_drawn_with_fifty_steps(bank) -> None:  # type: ignore[no-untyped-def]
    add_clients(bank, [10 * (n + 1) for n in range(120)])
    aum = pareto(bank.user("head_office")).measures[0]
    assert (aum.clients, len(aum.lorenz)) == (125, 51)
    xs = [x for x, _y in aum.lorenz]
    assert xs[1] == (Decimal(3) / 125).quantize(SHARE)  # the first client past 1/50 of 125
    assert aum.lorenz[-1] == (Decimal(1), Decimal(1))


def test_negative_contributions_are_listed_apart_and_count_as_zero(bank, book) -> None:  # type: ignore[no-untyped-def]
    contribution = pareto(bank.user("head_office")).measures[1]
    # February: 100 × n − 500 for n = 0 … 44: the five first clients lose 1,500, the others earn 78,000.
    assert contribution.total == Decimal(78_000)
    assert (contribution.negatives, contribution.negative_sum) == (5, Decimal(-1_500))
    assert min(y for _x, y in contribution.lorenz) == 0
    assert contribution.lorenz[6] == ((Decimal(6) / 45).quantize(SHARE), Decimal(0))  # the five and the zero
    assert contribution.chart is not None
    assert contribution.chart.y_ticks[0][1] == "0%"


@pytest.mark.parametrize(
    ("persona", "where", "clients"),
    [
        ("rm_hd", "c.primary_rm_id = %s", 41),  # 张三 and the 40 added clients
        ("rm_cy", "c.primary_rm_id = %s", 1),
    ],
)
def test_an_rm_sees_only_the_own_book(bank, book, persona, where, clients) -> None:  # type: ignore[no-untyped-def]
    user = bank.user(persona)
    aum = pareto(user).measures[0]
    assert aum.clients == clients
    assert shares(aum) == {
        p: independent_share("aum", p, where=where, params=[user.pk]) for p in TOP_PERCENTS
    }


def test_by_org_unit_and_segment(bank, book) -> None:  # type: ignore[no-untyped-def]
    add_clients(bank, [50_000_000, 20_000_000, 1_000_000], unit="pd", rm="rm_pd", kind="corporate",
                tier="strategic_branch", start=100)  # fmt: skip
    head = bank.user("head_office")
    shanghai = pareto(head, unit=bank.units["sh"]).measures[0]
    assert shanghai.clients == 4  # 赵六 and three corporates
    assert shares(shanghai)[20] == independent_share(
        "aum", 20, where="c.home_org_unit_id = %s", params=[bank.units["pd"].pk]
    )
    corporates = pareto(head, segment="corporate").measures[0]
    assert (corporates.clients, shares(corporates)[1]) == (3, (Decimal(50) / 71).quantize(SHARE))
    platinum = pareto(head, segment="platinum").measures[0]
    assert platinum.clients == 2  # 李四, 钱七
    assert shares(platinum)[20] == (Decimal(3_000_000) / 3_800_000).quantize(SHARE)
    # The branch head's scope bounds the unit filter: Shanghai holds nobody for Beijing.
    assert pareto(bank.user("head_bj"), unit=bank.units["sh"]).measures[0].clients == 0


def test_no_value_scores_yet(bank) -> None:  # type: ignore[no-untyped-def]
    result = pareto(bank.user("head_office"))
    assert result.value_as_of is None
    aum, contribution, value = result.measures
    assert aum.clients == 5 and aum.top
    assert (value.total, value.top) == (0, [])
    assert (contribution.clients, contribution.total, contribution.top, contribution.chart) == (
        5,
        0,
        [],
        None,
    )


def test_an_empty_scope(bank) -> None:  # type: ignore[no-untyped-def]
    empty = concentration(scoped_clients(bank.user("admin")), "aum")
    assert (empty.clients, empty.top, empty.lorenz, empty.chart) == (0, [], [], None)


# --- a retail-shaped book (the demo bank itself: keyclient/demo/tests/test_demo_path.py) ---------------


@pytest.fixture
def retail_book(bank):  # type: ignore[no-untyped-def]
    """2,000 individual clients spread over the persona bank's outlets and RMs, AUM drawn (seeded) from
    a log-normal with σ = 1.68: the shape of a retail bank's book, where the top fifth holds about 80%."""
    draw = random.Random(20_261_124)
    homes = [("zgc", "rm_hd"), ("hd", "rm_hd2"), ("cy", "rm_cy"), ("pd", "rm_pd")]
    amounts = [round(draw.lognormvariate(11.5, 1.68)) for _n in range(2_000)]
    for i, (unit, rm) in enumerate(homes):
        add_clients(bank, amounts[i::4], unit=unit, rm=rm, start=10_000 + 1_000 * i)
    return amounts


def test_on_a_retail_shaped_book_the_page_equals_plain_sql(bank, retail_book, login) -> None:  # type: ignore[no-untyped-def]
    response = login(bank.user("head_office")).get("/tiers/pareto/")
    aum = response.context["result"].measures[0]
    assert aum.clients == 2_005
    top_20 = shares(aum)[20]
    assert Decimal("0.75") <= top_20 <= Decimal("0.90")
    assert top_20 == independent_share("aum", 20)
    assert shares(aum) == {p: independent_share("aum", p) for p in TOP_PERCENTS}
    # Python over the same rows agrees too.
    everyone = sorted(
        (float(a) for a in Customer.objects.values_list("position__aum", flat=True)), reverse=True
    )
    assert abs(float(top_20) - sum(everyone[:401]) / sum(everyone)) < 1e-6
    assert f"{top_20 * 100:.1f}%" in response.content.decode()


# --- the page --------------------------------------------------------------------------------------


def test_the_page_shows_the_table_and_three_charts(bank, book, login) -> None:  # type: ignore[no-untyped-def]
    response = login(bank.user("rm_hd")).get("/tiers/pareto/")
    assert response.status_code == 200
    body = response.content.decode()
    for measure in ("aum", "contribution", "value"):
        assert f'data-testid="lorenz-{measure}" data-points="42"' in body
    assert 'data-top="20"' in body
    assert bank.customers["zhao"].name not in body and bank.customers["zhao"].customer_no not in body


def test_filters_on_the_page(bank, book, login) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user("head_bj"))
    response = client.get(f"/tiers/pareto/?unit={bank.units['cy'].pk}&segment=gold")
    assert response.status_code == 200
    assert response.context["result"].measures[0].clients == 1  # 王五
    response = client.get("/tiers/pareto/?segment=nonsense")
    assert response.status_code == 400 and "segment" in response.context["form"].errors


@pytest.mark.parametrize(("persona", "status"), [("admin", 403), ("compliance", 200), ("risk", 200)])
def test_who_may_see_it(bank, login, persona, status) -> None:  # type: ignore[no-untyped-def]
    assert login(bank.user(persona)).get("/tiers/pareto/").status_code == status


@pytest.mark.parametrize("extra", [0, 60])
@pytest.mark.parametrize("persona", ["rm_hd", "head_office"])
def test_query_count_is_pinned(bank, login, django_assert_num_queries, persona, extra) -> None:  # type: ignore[no-untyped-def]
    add_clients(bank, [1_000 * (n + 1) for n in range(extra)])
    client = login(bank.user(persona))
    client.get("/tiers/pareto/")
    # session, user, (the RM's served clients), the population count, the latest value month, one window
    # query per measure, the user's unit (top bar), the org-unit choices
    with django_assert_num_queries({"rm_hd": 10, "head_office": 9}[persona]):
        client.get("/tiers/pareto/?segment=individual")


def test_lorenz_chart_layout() -> None:
    chart = lorenz_chart(
        [(0, 0), (0.5, 0.25), (1, 1)], marks=[(0.5, 0.25, "20%")], width=236, height=136, pad=18
    )
    assert chart is not None
    assert chart.polyline == "18.0,118.0 118.0,93.0 218.0,18.0"
    assert chart.equality == (18.0, 118.0, 218.0, 18.0)
    assert chart.marks == [(118.0, 93.0, "20%")]
    assert [label for _y, label in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert lorenz_chart([(0, 0)]) is None


def test_a_dip_of_a_fraction_of_a_percent_gets_no_negative_zero_tick() -> None:
    chart = lorenz_chart([(0, 0), (0.5, -0.003), (1, 1)])
    assert chart is not None
    assert [label for _y, label in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]
    deeper = lorenz_chart([(0, 0), (0.5, -0.02), (1, 1)])
    assert deeper is not None
    assert [label for _y, label in deeper.y_ticks] == ["-2%", "0%", "25%", "50%", "75%", "100%"]
