"""Bulk writes into the CRM database: COPY on PostgreSQL, executemany on SQLite.

Writers that load snapshots (the intake's CRM writes, the pipeline's and the valuation's writers) go
through here so that a million rows never become a million ORM objects.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from django.db import connection


def bulk_insert(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, batch: int = 20_000
) -> int:
    """Insert `rows` (tuples in `columns` order) into `table`; returns the number of rows written.

    Call it inside a transaction: a failure part-way leaves nothing behind once that rolls back.
    """
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    name = connection.ops.quote_name(table)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {name} ({quoted}) VALUES ({placeholders})"  # noqa: S608 - names are ours, values bound
        chunk: list[Sequence[Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            written += len(chunk)
    return written


def insert_from_duckdb(con: Any, sql: str, table: str, columns: Sequence[str]) -> int:
    """Insert the rows of the DuckDB query `sql` (columns in `columns` order) into `table`.

    On PostgreSQL DuckDB writes the rows as CSV and COPY reads the file as it is: no Python object per
    row or value (a million rows in seconds). DuckDB's CSV and PostgreSQL's agree on NULL (an empty
    field) versus the empty string (`""`). On SQLite the rows go to `executemany` in batches, decimals
    as floats and dates as ISO text, which is what SQLite stores for them anyway (a decimal column has
    numeric affinity): no `Decimal` or `date` object per value."""
    if connection.vendor == "sqlite":
        return _insert_sqlite(con, sql, table, columns)
    if connection.vendor != "postgresql":

        def rows() -> Iterable[Sequence[Any]]:
            result = con.execute(sql)
            while batch := result.fetchmany(50_000):
                yield from batch

        return bulk_insert(table, columns, rows())
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with tempfile.TemporaryDirectory(prefix="keyclient-copy-") as tmp:
        path = Path(tmp) / "rows.csv"
        target = str(path).replace("'", "''")
        con.execute(f"COPY ({sql}) TO '{target}' (FORMAT csv, HEADER false)").fetchall()
        with connection.cursor() as cursor, path.open("rb") as source:
            raw = cursor.cursor
            with raw.copy(
                f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN (FORMAT csv)"
            ) as copy:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            return raw.rowcount


def _sqlite_value(column: str, duckdb_type: str) -> str:
    """How one result column travels to SQLite: as the value SQLite would store for it."""
    if duckdb_type.startswith("DECIMAL"):
        return f"CAST({column} AS DOUBLE)"
    if duckdb_type == "DATE":
        return f"CAST({column} AS VARCHAR)"
    return column


SQLITE_MAX_VARIABLES = 32_766  # bound values per statement (SQLite 3.32 and later)


def _insert_sqlite(con: Any, sql: str, table: str, columns: Sequence[str], batch: int = 100_000) -> int:
    """Rows in multi-row INSERTs of up to 500 rows: a fifth less time than one statement per row."""
    types = [str(t) for t in con.sql(sql).types]
    if len(types) != len(columns):
        raise ValueError(f"{table}: the query gives {len(types)} columns for {len(columns)} names")
    names = [f"c{n}" for n in range(len(types))]
    values = ", ".join(_sqlite_value(n, t) for n, t in zip(names, types, strict=True))
    result = con.execute(f"SELECT {values} FROM ({sql}) AS q({', '.join(names)})")  # noqa: S608 - the caller's own query
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    head = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES "  # noqa: S608 - values bound
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per = max(1, min(500, SQLITE_MAX_VARIABLES // len(columns)))
    many = head + ", ".join([row] * per)
    written = 0
    with connection.cursor() as cursor:
        while rows := result.fetchmany(batch):
            full = len(rows) // per * per
            if full:
                cursor.executemany(
                    many, [tuple(chain.from_iterable(rows[i : i + per])) for i in range(0, full, per)]
                )
            if rest := rows[full:]:
                cursor.execute(head + ", ".join([row] * len(rest)), tuple(chain.from_iterable(rest)))
            written += len(rows)
    return written


@contextlib.contextmanager
def indexes_rebuilt(table: str, column: str) -> Iterator[None]:
    """Around a bulk UPDATE of `column` of most rows of `table`: on SQLite, drop the table's indexes
    that hold the column and build them again afterwards (one sort each instead of a million random
    B-tree updates: at a million clients 7 s instead of 36 s). Call it inside a transaction: readers
    (WAL mode) keep seeing the old rows and indexes until it commits, and a rollback restores them.
    Elsewhere it does nothing (PostgreSQL would lock the table against readers for the transaction)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
        indexes = [(name, sql) for name, sql in cursor.fetchall() if connection.ops.quote_name(column) in sql]
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)


def reset_sequence(table: str) -> None:
    """After inserting explicit ids on PostgreSQL, move the id sequence past the largest id."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM "  # noqa: S608
            + connection.ops.quote_name(table)
            + "), 0) + 1, false)",
            [table],
        )


Columns = Sequence[tuple[str, str]]  # (column name, SQL type) of a temporary table


def q(name: str) -> str:
    """`name` quoted as an identifier of the CRM database."""
    return connection.ops.quote_name(name)


def stage(name: str, columns: Columns, rows: Iterable[Sequence[Any]]) -> int:
    """Create the temporary table `name` in the CRM database (replacing one left by this connection)
    and fill it with `rows`; the number of rows written."""
    temp = "pg_temp" if connection.vendor == "postgresql" else "temp"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}.{q(name)}")
        cursor.execute(f"CREATE TEMPORARY TABLE {q(name)} ({', '.join(f'{q(c)} {t}' for c, t in columns)})")
    return bulk_insert(name, [c for c, _ in columns], rows)


def drop(name: str) -> None:
    """Drop the temporary table `name`."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {q(name)}")
