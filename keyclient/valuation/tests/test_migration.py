"""The tier migration page: from tier × to tier at a month end, in the user's scope and an org unit's
subtree, with row percentages, upgrade / downgrade / watch totals and the month picker."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from keyclient.valuation.analytics import migration, migration_months
from keyclient.valuation.tests.monthly import run_month

JAN, FEB, MAR = dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)
ZHANG, LI, WANG, ZHAO, SERVED = (f"620000000{n}" for n in range(1, 6))


@pytest.fixture
def months(bank, settings, tmp_path):  # type: ignore[no-untyped-def]
    """January: everyone keeps the preliminary tier. February: 王五 and 赵六 move up, 李四 and 钱七 fall
    below the platinum bar (watch, tier kept)."""
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    run_month(
        JAN,
        {ZHANG: {"deposit_madb": 10_000_000}, LI: {"deposit_madb": 600_000}, WANG: {"deposit_madb": 60_000},
         ZHAO: {"deposit_madb": 7_000_000}, SERVED: {"deposit_madb": 3_000_000}},
    )  # fmt: skip
    run_month(
        FEB,
        {ZHANG: {"deposit_madb": 10_000_000}, LI: {"deposit_madb": 400_000}, WANG: {"deposit_madb": 500_000},
         ZHAO: {"deposit_madb": 12_000_000}, SERVED: {"deposit_madb": 40_000}},
    )  # fmt: skip
    return [FEB, JAN]


def cells(result) -> dict[tuple[str, str], tuple[int, Decimal | None, str]]:  # type: ignore[no-untyped-def]
    return {
        (row.tier, cell.to): (cell.count, cell.share, cell.move)
        for m in result.matrices
        for row in m.rows
        for cell in row.cells
        if cell.count
    }


def test_months_are_listed_newest_first(months) -> None:  # type: ignore[no-untyped-def]
    assert migration_months() == [FEB, JAN]
    assert migration_months(limit=1) == [FEB]


def test_no_month_before_the_first_run(bank) -> None:  # type: ignore[no-untyped-def]
    assert migration_months() == []


def test_february_matrix_for_head_office(bank, months) -> None:  # type: ignore[no-untyped-def]
    result = migration(bank.user("head_office"), as_of=FEB)
    assert (result.clients, result.upgrades, result.downgrades, result.unchanged, result.watch, result.new) == (
        5, 2, 0, 3, 2, 0,
    )  # fmt: skip
    assert cells(result) == {
        ("private_banking", "private_banking"): (1, Decimal("1.0000"), "same"),  # 张三
        ("diamond", "private_banking"): (1, Decimal("1.0000"), "up"),  # 赵六
        ("platinum", "platinum"): (2, Decimal("1.0000"), "same"),  # 李四 and 钱七 on watch
        ("gold", "platinum"): (1, Decimal("1.0000"), "up"),
    }
    # 赵六 was diamond: his row reads 0 to diamond, 1 to private banking.
    [individual] = result.matrices
    diamond = next(r for r in individual.rows if r.tier == "diamond")
    assert [(c.to, c.count) for c in diamond.cells] == [
        ("private_banking", 1), ("diamond", 0), ("platinum", 0), ("gold", 0), ("mass", 0),
    ]  # fmt: skip
    assert individual.column_totals == [2, 0, 3, 0, 0]


def test_row_percentages_split_a_tier(bank, months, settings) -> None:  # type: ignore[no-untyped-def]
    april = dt.date(2026, 4, 30)
    for as_of in (MAR, april):
        run_month(
            as_of,
            {ZHANG: {"deposit_madb": 10_000_000}, LI: {"deposit_madb": 400_000}, WANG: {"deposit_madb": 500_000},
             ZHAO: {"deposit_madb": 12_000_000}, SERVED: {"deposit_madb": 40_000}},
        )  # fmt: skip
    assert cells(migration(bank.user("head_office"), as_of=MAR))[("platinum", "platinum")][0] == 3
    # April is the third month below the bar for 李四 (to gold) and 钱七 (to mass): platinum splits three ways.
    result = migration(bank.user("head_office"), as_of=april)
    found = cells(result)
    assert found[("platinum", "platinum")] == (1, Decimal("0.3333"), "same")  # 王五, platinum since February
    assert found[("platinum", "gold")] == (1, Decimal("0.3333"), "down")
    assert found[("platinum", "mass")] == (1, Decimal("0.3333"), "down")
    assert (result.upgrades, result.downgrades, result.watch) == (0, 2, 0)


@pytest.mark.parametrize(
    ("persona", "clients", "upgrades", "watch"),
    [
        ("rm_hd", 1, 0, 0),  # 张三
        ("rm_hd2", 2, 0, 2),  # 李四, 钱七
        ("rm_pd", 2, 1, 1),  # 赵六, 钱七 (served as investment advisor)
        ("head_bj", 4, 1, 2),  # not 赵六 (Shanghai)
        ("compliance", 5, 2, 2),
    ],
)
def test_scope(bank, months, persona, clients, upgrades, watch) -> None:  # type: ignore[no-untyped-def]
    result = migration(bank.user(persona), as_of=FEB)
    assert (result.clients, result.upgrades, result.watch) == (clients, upgrades, watch)


def test_org_unit_subtree(bank, months) -> None:  # type: ignore[no-untyped-def]
    head = bank.user("head_office")
    assert migration(head, as_of=FEB, unit=bank.units["hd"]).clients == 3  # 张三 (中关村 outlet), 李四, 钱七
    assert migration(head, as_of=FEB, unit=bank.units["cy"]).upgrades == 1  # 王五
    assert migration(head, as_of=FEB, unit=bank.units["sh"]).clients == 1
    # A unit outside the scope adds nobody.
    assert migration(bank.user("head_bj"), as_of=FEB, unit=bank.units["sh"]).clients == 0


def test_the_page(bank, months, login) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user("head_bj"))
    response = client.get("/tiers/migration/")
    assert response.status_code == 200
    assert response.context["result"].as_of == FEB  # the latest month by default
    body = response.content.decode()
    assert '<option value="2026-02" selected>2026-02</option>' in body
    assert 'data-from="gold" data-to="platinum">1 <small class="muted">100.0%</small>' in body
    assert 'data-testid="watch">2<' in body
    january = client.get(f"/tiers/migration/?month=2026-01&unit={bank.units['hd'].pk}")
    assert january.status_code == 200
    assert (january.context["result"].as_of, january.context["result"].clients) == (JAN, 3)
    assert january.context["result"].unchanged == 3


def test_bad_filters_are_refused(bank, months, login) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user("head_bj"))
    response = client.get("/tiers/migration/?month=2025-12")
    assert response.status_code == 400 and response.context["result"] is None
    assert "month" in response.context["form"].errors
    # The Shanghai branch is not offered to the Beijing branch head.
    response = client.get(f"/tiers/migration/?unit={bank.units['sh'].pk}")
    assert response.status_code == 400 and "unit" in response.context["form"].errors


@pytest.mark.parametrize(("persona", "status"), [("admin", 403), ("rm_hd", 200), ("compliance", 200)])
def test_who_may_see_it(bank, months, login, persona, status) -> None:  # type: ignore[no-untyped-def]
    assert login(bank.user(persona)).get("/tiers/migration/").status_code == status


def test_anonymous_is_sent_to_login(bank, client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/tiers/migration/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("persona", ["rm_hd", "head_office"])
def test_query_count_is_pinned(bank, months, login, django_assert_num_queries, persona) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user(persona))
    client.get("/tiers/migration/")
    # session, user, the months, the chosen unit, (the RM's served clients), the migration, the user's unit
    # (top bar), the org-unit choices
    with django_assert_num_queries({"rm_hd": 8, "head_office": 7}[persona]):
        response = client.get(f"/tiers/migration/?month=2026-02&unit={bank.units['bj'].pk}")
    assert response.status_code == 200
