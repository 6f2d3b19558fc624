"""The client position (`CustomerPosition`) stays equal to the client master's tier and scope columns
through intake, reassignment and the month end, and a month end's swap is all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from keyclient.audit.actors import Job
from keyclient.audit.models import FieldChange
from keyclient.core.bulk import q
from keyclient.customers import positions, writer
from keyclient.customers.models import Customer, CustomerPosition
from keyclient.customers.services import search_keys
from keyclient.products.models import BalanceSnapshot
from keyclient.valuation.tests.monthly import run_month

OCT, NOV = dt.date(2026, 10, 31), dt.date(2026, 11, 30)
COPIED = ["tier", "kind", "status", "home_org_unit_id", "primary_rm_id"]


def master_and_positions() -> tuple[list[tuple], list[tuple]]:
    master = list(Customer.objects.order_by("id").values_list("id", *COPIED))
    copies = list(CustomerPosition.objects.order_by("customer_id").values_list("customer_id", *COPIED))
    return master, copies


def aums() -> dict[str, tuple[Decimal, dt.date | None]]:
    return {
        no: (aum, as_of)
        for no, aum, as_of in CustomerPosition.objects.values_list(
            "customer__customer_no", "aum", "aum_as_of"
        )
    }


def test_new_clients_of_a_batch_get_their_position(bank) -> None:  # type: ignore[no-untyped-def]
    unit, rm = bank.units["pd"], bank.user("rm_pd")
    keys = search_keys(name="新客户", id_number="x", mobile="")
    columns = ["customer_no", "kind", "name", "gender", "industry", "registration_no", "province", "city",
               "risk_tolerance", "id_type", "id_number", "mobile", "home_org_unit_id", "primary_rm_id",
               "tier", "status", "created_at", "updated_at", *keys]  # fmt: skip
    now = timezone.now()
    rows = [(f"66{n:08d}", "corporate", "新客户", "", "", "", "", "", "", "uscc", "x", "", unit.pk, rm.pk,
             "corporate_general", "dormant", now, now, *keys.values()) for n in range(3)]  # fmt: skip
    assert writer.insert_customers(actor=Job("intake"), columns=columns, rows=rows) == 3
    master, copies = master_and_positions()
    assert copies == master and len(master) == 8  # five persona clients and three new
    new = CustomerPosition.objects.filter(customer__customer_no__startswith="66")
    assert (
        sorted(new.values_list("aum", "aum_as_of", "tier", "status", "home_org_unit_id"))
        == [(Decimal("0.00"), None, "corporate_general", "dormant", unit.pk)] * 3
    )


def test_a_reassignment_moves_the_position_with_the_master(bank) -> None:  # type: ignore[no-untyped-def]
    zhang, li = bank.customers["zhang"], bank.customers["li"]
    before = aums()
    updated = writer.update_customers(
        actor=Job("intake"),
        columns=[("home_org_unit_id", "BIGINT"), ("primary_rm_id", "BIGINT"), ("status", "VARCHAR(10)")],
        rows=[(zhang.pk, bank.units["pd"].pk, bank.user("rm_pd").pk, "active"), (li.pk, li.home_org_unit_id, None, "dormant")],
    )  # fmt: skip
    assert updated == 2
    master, copies = master_and_positions()
    assert copies == master
    assert CustomerPosition.objects.filter(customer=zhang).values_list("home_org_unit_id", "primary_rm_id").get() == (
        bank.units["pd"].pk, bank.user("rm_pd").pk,
    )  # fmt: skip
    assert CustomerPosition.objects.filter(customer=li).values_list("primary_rm_id", "status").get() == (
        None,
        "dormant",
    )
    assert aums() == before  # the AUM is not the master's to change
    # The master's field changes are still written (the position is a copy, not audited twice).
    assert set(FieldChange.objects.values_list("customer_id", "field")) == {
        (zhang.pk, "home_org_unit"), (zhang.pk, "primary_rm"), (li.pk, "primary_rm"), (li.pk, "status"),
    }  # fmt: skip


def test_the_valuation_s_tier_changes_reach_the_position(bank) -> None:  # type: ignore[no-untyped-def]
    numbers = {c.customer_no: {"deposit_madb": 1_000.0} for c in bank.customers.values()}
    counts = run_month(OCT, numbers)
    assert counts["tier_changes"] == 5  # every persona falls to mass on these balances
    master, copies = master_and_positions()
    assert copies == master
    assert set(CustomerPosition.objects.values_list("tier", flat=True)) == {"mass"}
    assert FieldChange.objects.filter(field="tier").count() == 5


def _snapshot(customer: Customer, madb: str) -> BalanceSnapshot:
    amount = Decimal(madb)
    return BalanceSnapshot.objects.create(
        as_of=NOV, customer=customer, aum=amount, aum_madb=amount, deposit=amount, investment=0, loan=0
    )


def test_a_month_end_replaces_every_position(bank) -> None:  # type: ignore[no-untyped-def]
    zhang, li, wang = bank.customers["zhang"], bank.customers["li"], bank.customers["wang"]
    _snapshot(zhang, "123.45")
    _snapshot(li, "6789.00")
    Customer.objects.filter(pk=wang.pk).update(status="dormant")  # a change made outside the writer
    before = aums()
    with transaction.atomic():
        assert writer.set_month_positions(NOV, BalanceSnapshot._meta.db_table) == 5
    after = aums()
    assert after[zhang.customer_no] == (Decimal("123.45"), NOV)
    assert after[li.customer_no] == (Decimal("6789.00"), NOV)
    # Clients without a snapshot this month keep their last month's AUM and date.
    for other in set(before) - {zhang.customer_no, li.customer_no}:
        assert after[other] == before[other] == (after[other][0], OCT)
    master, copies = master_and_positions()
    assert copies == master  # the copies are taken from the master again
    names = {i.name for i in CustomerPosition._meta.indexes}
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, CustomerPosition._meta.db_table)
        tables = connection.introspection.table_names(cursor)
    assert names <= set(found)  # the indexes under the names the migrations gave them
    assert CustomerPosition._meta.db_table + positions.FRESH not in tables
    # The list ranks on the new figures.
    ranked = list(Customer.objects.ranked_for(bank.user("head_office")).values_list("customer_no", "aum"))
    assert ranked == [
        (bank.customers["zhao"].customer_no, Decimal("7000000.00")),
        (bank.customers["served"].customer_no, Decimal("3000000.00")),
        (wang.customer_no, Decimal("60000.00")),
        (li.customer_no, Decimal("6789.00")),
        (zhang.customer_no, Decimal("123.45")),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_failure_mid_build_leaves_the_previous_positions(bank) -> None:  # type: ignore[no-untyped-def]
    """An index that the new figures cannot satisfy fails while the fresh table is indexed (PostgreSQL)
    or the indexes are built again (SQLite): the month end's transaction rolls back whole."""
    zhang, li = bank.customers["zhang"], bank.customers["li"]
    table = q(CustomerPosition._meta.db_table)
    with connection.cursor() as cursor:  # at most one client above ten million: true today (one at 12 M)
        cursor.execute(f"CREATE UNIQUE INDEX position_one_whale ON {table} (tier) WHERE aum > 10000000")
    _snapshot(zhang, "20000000.00")
    _snapshot(li, "30000000.00")
    Customer.objects.filter(pk=li.pk).update(tier=zhang.tier)  # two whales of one tier
    before, master_before = aums(), master_and_positions()[1]
    with pytest.raises(Exception, match=r"position_one_whale|UNIQUE constraint failed"), transaction.atomic():
        writer.set_month_positions(NOV, BalanceSnapshot._meta.db_table)
    assert aums() == before
    assert master_and_positions()[1] == master_before  # li's tier not copied either
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        found = connection.introspection.get_constraints(cursor, CustomerPosition._meta.db_table)
        cursor.execute("DROP INDEX position_one_whale")
    assert CustomerPosition._meta.db_table + positions.FRESH not in tables
    assert {i.name for i in CustomerPosition._meta.indexes} <= set(found)
