"""The targets that run the pipeline's Ibis definitions (`definitions.py`): `DuckDBTarget` (the
default engine: Ibis compiled to DuckDB SQL, run as temp tables of a plain duckdb connection) and
`SparkTarget` (Ibis's PySpark backend, cached DataFrames; needs the optional extra `spark`).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa
from django.conf import settings
from ibis.backends.sql.datatypes import DuckDBType

from keyclient.pipeline import definitions
from keyclient.pipeline.engine import lit


def compute_duckdb(con: duckdb.DuckDBPyConnection, lake: Path, day: date) -> None:
    """The DuckDB engine: run the one definition of the inputs (`definitions.py`, Ibis compiled to DuckDB
    SQL) in `con`, leaving the results `daily`, `bank_flows`, `events` and the state tables `flows`,
    `bank_flows`, `mtd`, `recency` of `day` as temp tables of `con` (for the CRM writes and
    `engine.write_state`)."""
    definitions.tables(DuckDBTarget(con), lake, day)


_DUCKDB_TYPES = {"string": "VARCHAR", "int64": "BIGINT", "float64": "DOUBLE", "date": "DATE"}


def _duckdb_type(dtype: Any) -> str:
    """The DuckDB name of an Ibis type (the four the pipeline uses looked up, not generated: sqlglot's
    type generation is a noticeable share of a small run)."""
    return _DUCKDB_TYPES.get(str(dtype).lstrip("!")) or DuckDBType.to_string(dtype)


class DuckDBTarget:
    """Runs the Ibis expressions on DuckDB: compiled to DuckDB SQL (`ibis.to_sql`) and executed on a plain
    duckdb connection (Ibis 12's own DuckDB backend calls `fetch_arrow_table`, which DuckDB 2 removed).
    Materialised tables keep their plain names (`daily`, `mtd`, …) as temp tables of the connection."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.con = con if con is not None else duckdb.connect()
        self._count = 0

    def _fresh(self, kind: str) -> str:
        self._count += 1
        return f"kc_{kind}_{self._count}"

    def _table(self, name: str) -> ibis.Table:
        described = self.con.execute(f"DESCRIBE {name}").fetchall()
        return ibis.table({row[0]: DuckDBType.from_string(row[1]) for row in described}, name=name)

    def read(self, paths: list[Path], columns: dict[str, str], dates: list[date] | None = None) -> ibis.Table:
        """Partition folders or state files as one view: `columns` cast to their types (a column a file
        lacks reads as null), plus each path's date as `date` when `dates` are given."""
        files = [lit(p / "*.parquet" if p.is_dir() else p) for p in paths]
        folders = {str(p) for p in paths if p.is_dir()}
        present: dict[str, set[str]] = {}
        for file_name, column in self.con.execute(
            f"SELECT file_name, name FROM parquet_schema([{', '.join(files)}])"  # noqa: S608 - lake file paths, quoted by lit
        ).fetchall():
            parent = str(Path(file_name).parent)
            present.setdefault(parent if parent in folders else str(Path(file_name)), set()).add(column)
        selects = []
        for n, (path, pattern) in enumerate(zip(paths, files, strict=True)):
            have = present.get(str(path), set())
            cast = [
                f"CAST({c if c in have else 'NULL'} AS {_duckdb_type(ibis.dtype(k))}) AS {c}"
                for c, k in columns.items()
            ]
            if dates is not None:
                cast.append(f"DATE '{dates[n]}' AS date")
            selects.append(
                f"SELECT {', '.join(cast)} FROM read_parquet({pattern}, hive_partitioning = false, union_by_name = true)"  # noqa: S608 - declared columns and types, dates, lake paths quoted by lit
            )
        name = self._fresh("src")
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {' UNION ALL '.join(selects)}")
        return ibis.table({**columns, **({"date": "date"} if dates is not None else {})}, name=name)

    def empty(self, schema: dict[str, str]) -> ibis.Table:
        name = self._fresh("empty")
        columns = ", ".join(f"{n} {_duckdb_type(ibis.dtype(k))}" for n, k in schema.items())
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})")
        return ibis.table(schema, name=name)

    def materialise(self, name: str, expr: ibis.Table) -> ibis.Table:
        # Cast to the expression's schema: Ibis drops a cast it thinks is a no-op (a sum of int64 is
        # int64 to Ibis, HUGEINT to DuckDB).
        schema = expr.schema()
        columns = ", ".join(f'CAST("{c}" AS {_duckdb_type(t)}) AS "{c}"' for c, t in schema.items())
        sql = f"SELECT {columns} FROM ({ibis.to_sql(expr, dialect='duckdb')})"  # noqa: S608 - the SQL Ibis compiled from our expressions
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        return ibis.table(schema, name=name)

    def materialise_sql(self, name: str, sql: str) -> ibis.Table:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        return self._table(name)

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        return self.con.sql(ibis.to_sql(expr, dialect="duckdb")).to_arrow_table()

    def release(self) -> None:
        """Nothing to free: the temp tables live as long as the connection."""


class SparkTarget:
    """Runs the Ibis expressions on Spark through Ibis's PySpark backend: partitions are read with
    Spark's reader into temp views, materialised tables are cached DataFrames (both released after
    `compute`)."""

    name = "spark"

    def __init__(self, session: Any = None) -> None:
        self.session = session or spark_session()
        self.con = ibis.pyspark.connect(self.session)
        self._tag = uuid.uuid4().hex[:8]
        self._views: list[str] = []
        self._cached: list[Any] = []

    def _view(self, frame: Any) -> ibis.Table:
        name = f"kc_src_{self._tag}_{len(self._views) + 1}"
        frame.createOrReplaceTempView(name)
        self._views.append(name)
        return self.con.table(name)

    def read(self, paths: list[Path], columns: dict[str, str], dates: list[date] | None = None) -> ibis.Table:
        """As `DuckDBTarget.read` (the `date=` folder is Spark's base path, not a column)."""
        from ibis.backends.pyspark.datatypes import PySparkType
        from pyspark.sql import functions as F

        frames = []
        for n, path in enumerate(paths):
            df = self.session.read.parquet(str(path))
            cast = [
                (F.col(c) if c in df.columns else F.lit(None))
                .cast(PySparkType.from_ibis(ibis.dtype(k)))
                .alias(c)
                for c, k in columns.items()
            ]
            if dates is not None:
                cast.append(F.lit(dates[n]).alias("date"))
            frames.append(df.select(*cast))
        union = frames[0]
        for frame in frames[1:]:
            union = union.unionByName(frame)
        return self._view(union)

    def empty(self, schema: dict[str, str]) -> ibis.Table:
        from ibis.backends.pyspark.datatypes import PySparkSchema

        return self._view(self.session.createDataFrame([], PySparkSchema.from_ibis(ibis.schema(schema))))

    def materialise(self, name: str, expr: ibis.Table) -> ibis.Table:
        cached = expr.cache()
        self._cached.append(cached)
        return cached

    def materialise_sql(self, name: str, sql: str) -> ibis.Table:
        return self.materialise(name, self.con.sql(sql, dialect="duckdb"))

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        return self.con.to_pyarrow(expr)

    def release(self) -> None:
        while self._cached:
            self._cached.pop().release()
        while self._views:
            self.session.catalog.dropTempView(self._views.pop())


# --- Spark ---------------------------------------------------------------------------------------


def spark_master() -> str:
    """`settings.KEYCLIENT_SPARK_MASTER`, else the environment's `KEYCLIENT_SPARK_MASTER`, else local[*]."""
    return getattr(settings, "KEYCLIENT_SPARK_MASTER", None) or os.environ.get(
        "KEYCLIENT_SPARK_MASTER", "local[*]"
    )


def spark_session(master: str | None = None) -> Any:
    """The process's SparkSession (created once; an active one is reused)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = master or spark_master()
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warehouse = os.environ.get("KEYCLIENT_SPARK_WAREHOUSE") or tempfile.mkdtemp(prefix="keyclient-spark-")
    builder = (
        SparkSession.builder.master(master)
        .appName("keyclient-pipeline")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.session.timeZone", "UTC")
    )
    if master.startswith("local"):
        builder = builder.config("spark.sql.shuffle.partitions", "4")
    for key, value in getattr(settings, "KEYCLIENT_SPARK_CONF", {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
