"""Read a query's result from the CRM database into an Arrow table, batch by batch, for DuckDB to join
with the lake (no model instances, no row-by-row Python beyond the driver's own fetch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from django.db import connection


def fetch_arrow(sql: str, params: Sequence[Any], schema: pa.Schema, *, batch: int = 50_000) -> pa.Table:
    """`sql`'s rows as a table with `schema` (one field per selected column, in order)."""
    batches = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            columns = list(zip(*rows, strict=True))
            batches.append(
                pa.record_batch(
                    [pa.array(col, f.type) for col, f in zip(columns, schema, strict=True)], schema
                )
            )
    return pa.Table.from_batches(batches, schema)
