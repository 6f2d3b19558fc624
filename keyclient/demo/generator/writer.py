"""Writing extracts as Parquet (zstd, dictionary-encoded strings) or CSV, on a background thread.

One writer thread overlaps file compression with generation on the other core; writes are queued in
order, so output is the same as writing synchronously. Dictionary columns become plain strings in the
files (Parquet: the Arrow schema is not stored; CSV: cast before writing).
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

MAX_PENDING = 6
# Column statistics cost time; keep them where readers prune row groups (dates, clients, ids).
STATS_COLUMNS = ("date", "as_of", "customer_no", "txn_id")
# Plain string columns that are (nearly) unique per row: a dictionary would only cost time.
UNIQUE_COLUMNS = ("account_no", "id_number", "registration_no", "mobile", "email", "address", "phone2")


def plain_schema(schema: pa.Schema) -> pa.Schema:
    """`schema` with dictionary fields replaced by their value type."""
    return pa.schema(
        [pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type) for f in schema]
    )


def _plain(table: pa.Table) -> pa.Table:
    return table.cast(plain_schema(table.schema))


class Sink:
    """One output file, written table by table (each table becomes one Parquet row group)."""

    def __init__(self, out: Writer, path: Path, schema: pa.Schema) -> None:
        self.out = out
        self.path = path
        self.schema = schema
        self.rows = 0
        self._writer: pq.ParquetWriter | pacsv.CSVWriter | None = None
        path.parent.mkdir(parents=True, exist_ok=True)

    def _open(self, schema: pa.Schema) -> None:
        if self.out.fmt == "parquet":
            strings = [
                f.name
                for f in schema
                if pa.types.is_dictionary(f.type)
                or (pa.types.is_string(f.type) and f.name not in UNIQUE_COLUMNS)
            ]
            self._writer = pq.ParquetWriter(
                self.path,
                schema,
                compression="zstd",
                compression_level=1,
                use_dictionary=strings,
                store_schema=False,
                write_statistics=True,
            )
        else:
            self._writer = pacsv.CSVWriter(self.path, plain_schema(schema))

    def _write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._open(table.schema)
        if self.out.fmt == "parquet":
            self._writer.write_table(table, row_group_size=max(len(table), 1))
        else:
            self._writer.write_table(_plain(table))

    def write(self, table: pa.Table) -> None:
        """Queue `table` for writing."""
        self.rows += len(table)
        self.out.submit(self._write, table)

    def _close(self) -> None:
        if self._writer is None:
            self._open(self.schema)
            if self.out.fmt == "parquet":
                self._writer.write_table(self.schema.empty_table())
        self._writer.close()

    def close(self) -> None:
        """Queue closing the file."""
        self.out.submit(self._close)


class Writer:
    """The output directory and the single background writer thread."""

    def __init__(self, root: Path, fmt: str) -> None:
        if fmt not in ("parquet", "csv"):
            raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
        self.root = root
        self.fmt = fmt
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyclient-writer")
        self._pending: deque[Future[None]] = deque()

    def submit(self, fn, *args) -> None:  # type: ignore[no-untyped-def]
        """Run `fn(*args)` on the writer thread, in submission order; wait if too much is queued."""
        self._pending.append(self._pool.submit(fn, *args))
        while len(self._pending) > MAX_PENDING or (self._pending and self._pending[0].done()):
            self._pending.popleft().result()

    def sink(self, name: str, schema: pa.Schema, partition: str | None = None) -> Sink:
        """A file `name.ext` or, partitioned, `name/month=YYYY-MM/part-0.ext`."""
        ext = self.fmt
        path = (
            self.root / f"{name}.{ext}"
            if partition is None
            else self.root / name / f"month={partition}" / f"part-0.{ext}"
        )
        return Sink(self, path, schema)

    def table(self, name: str, table: pa.Table) -> int:
        """Write a whole small table as one file; returns its rows."""
        sink = self.sink(name, table.schema)
        sink.write(table)
        sink.close()
        return len(table)

    def drain(self) -> None:
        """Wait for every queued write."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Finish all writes and stop the thread."""
        try:
            self.drain()
        finally:
            self._pool.shutdown(wait=True)
