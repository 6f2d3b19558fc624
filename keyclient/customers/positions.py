"""The client position table (`CustomerPosition`): kept in step with the client master, rebuilt whole
at each month end. Called by the client-master writer (`keyclient.customers.writer`); `add_missing`
also gives clients created outside a batch (tests, tools) their positions.

At a month end (`rebuild`) PostgreSQL gets a fresh table: the month's AUM from the balance snapshots
and the scope columns and tier from the client master, written by one `INSERT … SELECT` into a new
table without indexes, the indexes of the live table built on it, then in one short step the live
table dropped and the new one renamed into its place (with its indexes and primary key renamed to the
names the migrations gave). Everything runs in the caller's transaction: a failure before the commit
leaves the previous table as it was, and readers see the old table until the commit. SQLite replaces
the rows in place from a staged copy, with the table's indexes built again afterwards
(`core.bulk.indexes_rebuilt`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connection

from keyclient.core.bulk import drop, indexes_rebuilt, q, stage
from keyclient.customers.models import Customer, CustomerPosition

# The client master's columns the position carries a copy of (the list's filters and scope).
COPIED = ("tier", "kind", "status", "home_org_unit_id", "primary_rm_id")
COLUMNS = ("customer_id", "aum", "aum_as_of", *COPIED)
_TYPES = ("BIGINT", "DECIMAL(18, 2)", "DATE", "VARCHAR(30)", "VARCHAR(12)", "VARCHAR(10)", "BIGINT", "BIGINT")
FRESH = "_fresh"  # suffix of the table (and its indexes) while it is built; SQLite's staging table


def _select(day: date | None, snapshots: str | None) -> tuple[str, list[Any]]:
    """Every client's position row: copies from the master, AUM from `snapshots` (the month's
    `BalanceSnapshot` rows of `day`) or else the current one."""
    master, current = q(Customer._meta.db_table), q(CustomerPosition._meta.db_table)
    copies = ", ".join(f"c.{q(c)}" for c in COPIED)
    if snapshots is None:
        return (
            f"SELECT c.id, coalesce(p.aum, 0), p.aum_as_of, {copies} FROM {master} c LEFT JOIN {current} p ON p.customer_id = c.id",  # noqa: S608 - model table and column names, quoted
            [],
        )
    return (
        f"""SELECT c.id, coalesce(b.aum_madb, p.aum, 0), CASE WHEN b.customer_id IS NULL THEN p.aum_as_of ELSE %s END,
        {copies} FROM {master} c LEFT JOIN {current} p ON p.customer_id = c.id
        LEFT JOIN {q(snapshots)} b ON b.customer_id = c.id AND b.as_of = %s""",  # noqa: S608 - model table and column names, quoted
        [day, day],
    )


def rebuild(day: date | None = None, snapshots: str | None = None) -> int:
    """Replace every client's position: AUM of `day` from `snapshots` where a client has one (the
    current AUM otherwise), tier and scope columns from the client master. Returns the rows written."""
    sql, params = _select(day, snapshots)
    if connection.vendor != "postgresql":
        return _replace_in_place(sql, params)
    return _swap(sql, params)


def _replace_in_place(sql: str, params: Sequence[Any]) -> int:
    table = CustomerPosition._meta.db_table
    names = ", ".join(q(c) for c in COLUMNS)
    # The new rows read the current ones (a client without a snapshot keeps its AUM): staged first.
    stage(FRESH, list(zip(COLUMNS, _TYPES, strict=True)), ())
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {q(FRESH)} ({names}) {sql}", list(params))
    with indexes_rebuilt(table, "aum"), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {q(table)}")  # noqa: S608 - a model table name
        cursor.execute(f"INSERT INTO {q(table)} ({names}) SELECT {names} FROM {q(FRESH)}")  # noqa: S608 - our names
        written = cursor.rowcount
    drop(FRESH)
    return written


def _swap(sql: str, params: Sequence[Any]) -> int:
    """PostgreSQL: build the fresh table and its indexes, then drop the live one and rename."""
    table = CustomerPosition._meta.db_table
    fresh = table + FRESH
    names = ", ".join(q(c) for c in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexname, i.indexdef, c.conname IS NOT NULL FROM pg_indexes i
            LEFT JOIN pg_constraint c ON c.conname = i.indexname AND c.contype = 'p'
            WHERE i.schemaname = current_schema() AND i.tablename = %s ORDER BY i.indexname""",
            [table],
        )
        indexes = cursor.fetchall()
        # Writers of the live table (an intake copying a reassignment) wait until the commit and then
        # write to the new table; readers go on reading the live one until the swap.
        cursor.execute(f"LOCK TABLE {q(table)} IN SHARE MODE")
        cursor.execute(f"DROP TABLE IF EXISTS {q(fresh)}")
        cursor.execute(f"CREATE TABLE {q(fresh)} (LIKE {q(table)} INCLUDING DEFAULTS INCLUDING STORAGE)")
        cursor.execute(f"INSERT INTO {q(fresh)} ({names}) {sql}", list(params))
        written = cursor.rowcount
        for name, definition, primary in indexes:
            if primary:
                cursor.execute(
                    f"ALTER TABLE {q(fresh)} ADD CONSTRAINT {q(name + FRESH)} PRIMARY KEY (customer_id)"
                )
                continue
            create = "CREATE UNIQUE INDEX" if definition.startswith("CREATE UNIQUE") else "CREATE INDEX"
            on = definition.split(" USING ", 1)[1]
            cursor.execute(f"{create} {q(name + FRESH)} ON {q(fresh)} USING {on}")
        cursor.execute(f"ANALYZE {q(fresh)}")
        # The swap: from here to the commit, readers of the table wait (a few milliseconds of catalog work).
        cursor.execute(f"DROP TABLE {q(table)}")
        cursor.execute(f"ALTER TABLE {q(fresh)} RENAME TO {q(table)}")
        for name, _definition, primary in indexes:
            if primary:
                cursor.execute(f"ALTER TABLE {q(table)} RENAME CONSTRAINT {q(name + FRESH)} TO {q(name)}")
            else:
                cursor.execute(f"ALTER INDEX {q(name + FRESH)} RENAME TO {q(name)}")
    return written


def add_missing(*, after: int = 0) -> int:
    """Positions for the clients (with an id above `after`) that have none: new clients, AUM 0 until
    their first month end."""
    table, master = q(CustomerPosition._meta.db_table), q(Customer._meta.db_table)
    copies = ", ".join(f"c.{q(c)}" for c in COPIED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} ({", ".join(q(c) for c in COLUMNS)}) SELECT c.id, 0, NULL, {copies} FROM {master} c
            WHERE c.id > %s AND NOT EXISTS (SELECT 1 FROM {table} p WHERE p.customer_id = c.id)""",  # noqa: S608 - model table and column names, quoted
            [after],
        )
        return cursor.rowcount


def copy_from(staged: str, columns: Sequence[str]) -> int:
    """Copy `columns` (those of `COPIED` among them) of the clients in the temporary table `staged`
    (`id`, then the columns) to their positions: one `UPDATE … FROM`."""
    copied = [c for c in columns if c in COPIED]
    if not copied:
        return 0
    table = q(CustomerPosition._meta.db_table)
    sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in copied)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {sets} FROM {q(staged)} AS s WHERE {table}.customer_id = s.id")  # noqa: S608 - quoted column names
        return cursor.rowcount
