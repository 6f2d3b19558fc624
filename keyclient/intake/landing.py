"""What a load lands in the lake: the accepted rows, with no personal field in clear (ADR 0004).

Each personal column of an extract (`formats.Column.lake`) is replaced at landing:

- `bidx:<purpose>`: by `<name>_bidx` (`account_no` by `account_bidx`), the HMAC blind index of the value for that purpose
  (`keyclient.security.crypto.blind_index`), the same keyed hash the CRM stores (`account_bidx`,
  `id_number_bidx`, `mobile_bidx`), so the lake still joins with itself and with the CRM;
- `mask`: by its masked form (the first character, then `**`).

`blind_keys` computes every blind index of the load once, one per distinct value and purpose, into
the DuckDB tables `bidx_<purpose>(value, bidx)`; the CRM writes reuse them (`crm_accounts`,
`crm_contacts`). The clear values live only in the load's DuckDB connection and its temporary
directory, both gone when the load ends.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

from keyclient.intake import fx
from keyclient.intake.formats import Extract
from keyclient.security.crypto import blind_index

MASK = "**"


def purposes(extracts: Iterable[Extract]) -> dict[str, list[tuple[str, str]]]:
    """purpose → the (extract, column) pairs whose values it indexes."""
    found: dict[str, list[tuple[str, str]]] = {}
    for ext in extracts:
        for column in ext.columns:
            if column.blind_purpose:
                found.setdefault(column.blind_purpose, []).append((ext.name, column.name))
    return found


def blind_keys(con: duckdb.DuckDBPyConnection, extracts: Iterable[Extract]) -> None:
    """`bidx_<purpose>(value, bidx)` for every distinct value of the load's blind-indexed columns."""
    for purpose, columns in purposes(extracts).items():
        union = " UNION ALL ".join(
            f"SELECT {column} AS value FROM ok_{name} WHERE {column} IS NOT NULL"  # noqa: S608 - declared names
            for name, column in columns
        )
        # Distinct: a value shared by several rows (a household's phone, an account's transactions)
        # is indexed once, and joining the keys never multiplies a row.
        values = con.sql(f"SELECT DISTINCT value FROM ({union})").to_arrow_table().column("value").to_pylist()  # noqa: S608 - the union above
        keys = pa.table(
            {
                "value": pa.array(values, pa.string()),
                "bidx": pa.array([blind_index(v, purpose) for v in values], pa.string()),
            }
        )
        con.register("bidx_arrow", keys)
        con.execute(f"CREATE OR REPLACE TABLE bidx_{purpose} AS SELECT * FROM bidx_arrow")  # noqa: S608 - declared purpose
        con.unregister("bidx_arrow")


def landed(ext: Extract, *, keep_date: bool = True) -> str:
    """The DuckDB query of the rows of `ok_<name>` as the lake keeps them (personal columns replaced);
    without `keep_date`, the dated extract's `date` column is left out (it is the partition)."""
    selects, joins = [], []
    for n, column in enumerate(ext.columns):
        if column.name == "date" and not keep_date:
            continue
        if purpose := column.blind_purpose:
            joins.append(f"LEFT JOIN bidx_{purpose} k{n} ON k{n}.value = o.{column.name}")
            selects.append(f"k{n}.bidx AS {column.landed_name}")
        elif column.lake == "mask":
            selects.append(
                f"CASE WHEN o.{column.name} IS NULL OR o.{column.name} = '' THEN o.{column.name} "
                f"ELSE left(o.{column.name}, 1) || '{MASK}' END AS {column.name}"
            )
        elif column.personal:
            raise ValueError(
                f"{ext.name}.{column.name} is personal but declares no landing (formats.Column.lake)"
            )
        else:
            selects.append(f"o.{column.name}")
    selects += [f"o.{name}" for name in fx.landed_columns(ext)]  # the conversion's audit columns
    return f"SELECT {', '.join(selects)} FROM ok_{ext.name} o {' '.join(joins)}"  # noqa: S608 - declared names
