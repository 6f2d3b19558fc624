"""Each blind-index column has exactly one index, and it is the one the model declares.

A blind index is matched whole, never by a LIKE prefix: a second (pattern) index on such a column is
written on every client-master write (a month end rewrites every row) and never read."""

from __future__ import annotations

from django.db import connection

from keyclient.customers.models import Customer
from keyclient.customers.models.customer import BLIND_KEYS
from keyclient.products.models import Account


def indexes_on(table: str, column: str) -> dict[str, bool]:
    """The indexes and unique constraints whose only column is `column`: name -> unique."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {
        name: info["unique"]
        for name, info in found.items()
        if (info["index"] or info["unique"]) and info["columns"] == [column]
    }


def test_each_client_blind_index_has_one_plain_index(db) -> None:  # type: ignore[no-untyped-def]
    table = Customer._meta.db_table
    found = {key: indexes_on(table, f"{key}_bidx") for key in BLIND_KEYS}
    assert found == {
        "id_number": {"customer_id_number_bidx": False},
        "id_last4": {"customer_id_last4_bidx": False},
        "mobile": {"customer_mobile_bidx": False},
        "mobile_last4": {"customer_mobile_last4_bidx": False},
    }


def test_account_blind_index_has_one_unique_index(db) -> None:  # type: ignore[no-untyped-def]
    found = indexes_on(Account._meta.db_table, "account_bidx")
    assert list(found.values()) == [True]
    if connection.vendor == "postgresql":  # SQLite names its column UNIQUE itself
        assert list(found) == ["account_bidx_unique"]
