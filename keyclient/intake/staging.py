"""Moving rows between DuckDB and the CRM database for set-based writes.

- `to_duckdb` / `pull`: a copy of CRM rows in a DuckDB table, to compare with the extracts there;
- `stage`: rows from DuckDB in a temporary table of the CRM database (bulk: COPY on PostgreSQL);
- `update_from` / `delete_staged`: one UPDATE … FROM or DELETE … IN per table, from a staged table.

The same SQL runs on SQLite (3.33 or later) and PostgreSQL. Call these inside the load's transaction:
a failure rolls back every write, the temporary tables included.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import duckdb
import pyarrow as pa
from django.db import connection

from keyclient.core.bulk import Columns, drop, q, stage

INTEGER_TYPES = {"BIGINT", "INTEGER", "BOOLEAN"}
BATCH = 50_000


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
    """Stream the rows of a DuckDB query as tuples, in batches."""
    result = con.execute(sql, list(params))
    while batch := result.fetchmany(BATCH):
        yield from batch


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The single value of a DuckDB query (its result read to the end, so the connection is free)."""
    return con.execute(sql, list(params)).fetchall()[0][0]


def to_duckdb(
    con: duckdb.DuckDBPyConnection, name: str, columns: Columns, data: Iterable[Sequence[Any]]
) -> int:
    """Create the DuckDB table `name` from `data` (tuples in `columns` order), cast to the declared types.

    Integer and boolean columns must arrive as integers (0/1), every other column as text or None:
    `pull` asks the database for exactly that, so SQLite and PostgreSQL give equal tables."""
    arrow = [pa.int64() if t in INTEGER_TYPES else pa.string() for _, t in columns]
    schema = pa.schema([(c, a) for (c, _), a in zip(columns, arrow, strict=True)])
    batches: list[pa.RecordBatch] = []
    data = iter(data)
    while chunk := list(itertools.islice(data, BATCH)):
        cols = zip(*chunk, strict=True)
        batches.append(
            pa.record_batch([pa.array(c, type=a) for c, a in zip(cols, arrow, strict=True)], schema=schema)
        )
    arrow_name = f"{name}__arrow"
    con.register(arrow_name, pa.Table.from_batches(batches, schema=schema))
    casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in columns)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {casts} FROM {arrow_name}")  # noqa: S608 - our table and column names
    con.unregister(arrow_name)
    return sum(len(b) for b in batches)


def pull(con: duckdb.DuckDBPyConnection, name: str, columns: Columns, table: str) -> int:
    """Copy `columns` of the CRM table `table` into the DuckDB table `name`.

    The database sends dates and decimals as text and booleans as 0/1, which `to_duckdb` types."""
    selects = []
    for column, sql_type in columns:
        if sql_type == "BOOLEAN":
            selects.append(f"CASE WHEN {q(column)} THEN 1 ELSE 0 END")
        elif sql_type in INTEGER_TYPES or sql_type == "TEXT" or sql_type.startswith("VARCHAR"):
            selects.append(q(column))
        else:
            selects.append(f"CAST({q(column)} AS TEXT)")

    def fetch() -> Iterator[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(selects)} FROM {q(table)}")  # noqa: S608 - model table and column names, quoted
            while batch := cursor.fetchmany(BATCH):
                yield from batch

    return to_duckdb(con, name, columns, fetch())


def update_from(table: str, staged: str, columns: Sequence[str], key: str = "id") -> int:
    """`UPDATE table SET columns = the staged values` for the rows whose `key` is staged."""
    sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(table)} SET {sets} FROM {q(staged)} AS s WHERE {q(table)}.{q(key)} = s.{q(key)}"  # noqa: S608 - quoted names
        )
        return cursor.rowcount


def delete_staged(table: str, staged: str, column: str = "id", staged_column: str = "id") -> int:
    """Delete the rows of `table` whose `column` is among the staged values."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {q(table)} WHERE {q(column)} IN (SELECT {q(staged_column)} FROM {q(staged)})"  # noqa: S608 - quoted names
        )
        return cursor.rowcount


def apply(
    con: duckdb.DuckDBPyConnection,
    *,
    table: str,
    name: str,
    columns: Columns,
    sql: str,
    update: Sequence[str] = (),
) -> int:
    """Stage the rows of a DuckDB query (`id` first) and update `update` columns, or delete them
    when `update` is empty; returns the number of rows changed."""
    if not scalar(con, f"SELECT count(*) FROM ({sql})"):  # noqa: S608 - the caller's own query
        return 0
    stage(name, columns, rows(con, sql))
    done = update_from(table, name, update) if update else delete_staged(table, name)
    drop(name)
    return done
