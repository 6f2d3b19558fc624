"""`insert_from_duckdb`: the rows arrive exactly — NULL stays NULL, the empty string stays empty,
decimals, dates and booleans keep their values — on SQLite (batches) and PostgreSQL (CSV + COPY)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
from django.db import connection, transaction
from django.db.models import Max, Sum

from keyclient.audit.models import BusinessEvent
from keyclient.core.bulk import indexes_rebuilt, insert_from_duckdb
from keyclient.customers.models import CustomerPosition
from keyclient.pipeline.indicators import DAILY
from keyclient.pipeline.models import ClientBankOutflow, ClientDailyIndicator
from keyclient.valuation.models import ValueScore


def test_null_empty_decimal_date_and_boolean_survive(bank) -> None:  # type: ignore[no-untyped-def]
    zhang, li = bank.customers["zhang"].pk, bank.customers["li"].pk
    con = duckdb.connect()
    others = [i.name for i in DAILY if i.name not in ("aum", "last_txn_date")]
    zeros = ", ".join("0" for _n in others)
    written = insert_from_duckdb(
        con,
        f"""SELECT *, {zeros} FROM (VALUES (DATE '2026-10-31', {zhang}, 12.5::DECIMAL(18, 2), NULL::DATE),
            (DATE '2026-10-31', {li}, 0.01::DECIMAL(18, 2), DATE '2026-10-30')) t(d, c, a, l)""",
        ClientDailyIndicator._meta.db_table,
        ["date", "customer_id", "aum", "last_txn_date", *others],
    )
    assert written == 2
    assert list(
        ClientDailyIndicator.objects.order_by("customer_id").values_list(
            "customer_id", "aum", "last_txn_date"
        )
    ) == [
        (zhang, Decimal("12.50"), None),
        (li, Decimal("0.01"), dt.date(2026, 10, 30)),
    ]
    rest = [
        f.column for f in ValueScore._meta.concrete_fields
        if f.column not in ("id", "as_of", "customer_id", "policy_version", "worst_loan_class", "kyc_stale")
    ]  # fmt: skip
    insert_from_duckdb(
        con,
        f"SELECT DATE '2026-10-31', {zhang}, 1, '', true, {', '.join('0' for _c in rest)}",
        ValueScore._meta.db_table,
        ["as_of", "customer_id", "policy_version", "worst_loan_class", "kyc_stale", *rest],
    )
    row = ValueScore.objects.get(customer_id=zhang)
    assert (row.worst_loan_class, row.kyc_stale, row.policy_version) == ("", True, 1)
    insert_from_duckdb(
        con,
        """SELECT '2026-11-01 00:00:00+00:00', NULL::BIGINT, 'job:test', 'test.bulk', '他说,"好"', '',
            '{}', '{"tier": "gold"}'""",
        BusinessEvent._meta.db_table,
        ["at", "actor_id", "actor_name", "verb", "note", "customer_no", "before", "after"],
    )
    event = BusinessEvent.objects.get(verb="test.bulk")
    assert (event.actor_id, event.note, event.customer_no, event.after) == (
        None,
        '他说,"好"',
        "",
        {"tier": "gold"},
    )


def index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name for name, info in found.items() if info["index"]}


def test_indexes_rebuilt_puts_back_every_index(db) -> None:  # type: ignore[no-untyped-def]
    table = CustomerPosition._meta.db_table
    before = index_names(table)
    with transaction.atomic(), indexes_rebuilt(table, "aum"):
        during = index_names(table)
    assert index_names(table) == before
    if connection.vendor == "sqlite":  # the list's five AUM indexes are gone while the update runs
        assert before - during == {
            "position_unit_aum_idx", "position_rm_aum_idx", "position_status_aum_idx", "position_aum_idx",
            "position_tier_aum_idx",
        }  # fmt: skip
    else:  # PostgreSQL keeps them (dropping one would lock readers out until the commit)
        assert during == before


def test_many_rows_arrive_whole_across_statements(db) -> None:  # type: ignore[no-untyped-def]
    # 1,203 rows: on SQLite two full statements of 500 rows and one of 203 (PostgreSQL: one COPY).
    written = insert_from_duckdb(
        duckdb.connect(),
        """SELECT DATE '2026-10-31', 7, 'B' || i, '', (i / 100)::DECIMAL(18, 2), i FROM range(1, 1204) t(i)""",
        ClientBankOutflow._meta.db_table,
        ["date", "customer_id", "bank_code", "bank_name", "amount", "transfers"],
    )
    rows = ClientBankOutflow.objects.filter(customer_id=7)
    assert written == 1203
    assert rows.count() == 1203
    assert rows.aggregate(total=Sum("amount"), most=Max("transfers")) == {
        "total": Decimal("7242.06"),
        "most": 1203,
    }
    assert rows.get(bank_code="B1203").amount == Decimal("12.03")
