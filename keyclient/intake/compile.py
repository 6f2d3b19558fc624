"""The mapping of one extract compiled to one DuckDB SELECT over its declared sources.

`read_extract` builds `raw_<extract>(_file, _line, <our columns>)`: the main source's rows (its
file names and line numbers kept for the rejects), left-joined to the extract's lookups on equal
keys, each of our fields a source column, a constant (bound) or a checked expression
(`keyclient.intake.expressions`), then the field's code map. A field lands as text, or in its
own type when the source gives it so (a Parquet date or number, an expression's date or number);
`keyclient.intake.validate` then parses and checks it as any other extract.

Problems of the mapping against the files (an unknown source column, a required column missing
from a file, a join on a column that does not exist or on a key that is not unique) are returned,
all of them, and the extract is not built; nothing is read twice.
"""

from __future__ import annotations

import duckdb
from sqlglot import exp

from keyclient.intake.expressions import ColumnRef, compile_expression
from keyclient.intake.formats import Column
from keyclient.intake.mapping import Field, Mapping
from keyclient.intake.sources import Reader, Relation
from keyclient.intake.validate import Staged, ident

NATIVE = {  # a column's type -> the DuckDB types that need no parsing, and the type they load as
    "decimal": ({"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"}, "DOUBLE"),
    "int": (
        {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"},
        "BIGINT",
    ),
    "date": ({"DATE", "TIMESTAMP"}, "DATE"),
}


def read_extract(
    con: duckdb.DuckDBPyConnection, staged: Staged, mapping: Mapping, reader: Reader
) -> list[str]:
    """Fill `raw_<name>` from the extract's sources; returns the problems (then nothing is built)."""
    ext = staged.extract
    main = reader.main(ext, staged.files)
    problems: list[str] = []
    rels: dict[str, tuple[str, Relation]] = {"": ("m", main)}
    joins = []
    for k, join in enumerate(mapping.joins.get(ext.name, [])):
        at = f"{mapping.where(ext.name)}, join {k + 1} ({join.source})"
        rel = reader.declared(join.source, ext)
        if not rel.files:
            problems.append(f"{at}: no file matches {', '.join(mapping.sources[join.source].files)}")
            continue
        keys = [(main.resolve(a), rel.resolve(b), a, b) for a, b in join.on]
        for ours, theirs, a, b in keys:
            if ours is None:
                problems.append(f"{at}: unknown key column {a!r} in {main.describe()}")
            if theirs is None:
                problems.append(f"{at}: unknown key column {b!r} in {rel.describe()}")
        if any(ours is None or theirs is None for ours, theirs, _, _ in keys):
            continue
        alias = f"j{k}"
        on = [(f"m.{ident(str(a))}", f"{alias}.{ident(str(b))}") for a, b, _, _ in keys]
        key = ", ".join(f"trim(CAST({ident(str(b))} AS VARCHAR))" for _, b, _, _ in keys)
        repeated = con.execute(
            f"SELECT count(*) FROM (SELECT {key} FROM {rel.sql} GROUP BY ALL HAVING count(*) > 1)",  # noqa: S608 - a source relation, its columns quoted; file names bound
            rel.params,
        ).fetchone()
        if repeated and repeated[0]:
            problems.append(
                f"{at}: the key {', '.join(b for _, _, _, b in keys)} is not unique in {rel.describe()} "
                f"({repeated[0]:,} values repeat): each row would match several"
            )
            continue
        rels[join.source] = (alias, rel)
        condition = " AND ".join(f"trim(CAST({a} AS VARCHAR)) = trim(CAST({b} AS VARCHAR))" for a, b in on)
        joins.append(f"LEFT JOIN {rel.sql} {alias} ON {condition}")
    params: dict[str, object] = {}
    for _, rel in rels.values():
        params.update(rel.params)
    selects = []
    for n, column in enumerate(ext.columns):
        spec = mapping.field(ext.name, column.name)
        sql = _field(column, spec, n, mapping, ext.name, rels, params, problems)
        if sql is not None:
            selects.append((column, _coded(sql, mapping, ext.name, column.name, params, n)))
    if problems:
        return problems
    source = f"{main.sql} m {' '.join(joins)}"
    probe = ", ".join(f"{sql} AS {ident(c.name)}" for c, sql in selects)
    types = [str(d[1]) for d in con.execute(f"SELECT {probe} FROM {source} LIMIT 0", params).description]  # noqa: S608 - compiled from the checked mapping; its texts bound
    columns = ", ".join(
        f"{_typed(c, sql, t)} AS {ident(c.name)}" for (c, sql), t in zip(selects, types, strict=True)
    )
    query = f"SELECT m._file, m._line, {columns} FROM {source}"  # noqa: S608 - compiled from the checked mapping
    if mapping.option(ext.name, "distinct", False):
        names = ", ".join(ident(c.name) for c in ext.columns)
        query = f"SELECT min(_file) AS _file, min(_line) AS _line, {names} FROM ({query}) GROUP BY ALL"  # noqa: S608 - our columns
    con.execute(f"CREATE OR REPLACE TABLE raw_{ext.name} AS {query}", params)
    read = con.execute(f"SELECT count(*) FROM raw_{ext.name}").fetchall()  # noqa: S608 - our table's name
    broken = con.execute(
        "SELECT count(DISTINCT (file, line)) FROM rejects WHERE extract = ?", [ext.name]
    ).fetchall()
    staged.rows = read[0][0] + broken[0][0]
    return []


def _field(
    column: Column,
    spec: Field,
    n: int,
    mapping: Mapping,
    extract: str,
    rels: dict[str, tuple[str, Relation]],
    params: dict[str, object],
    problems: list[str],
) -> str | None:
    at = mapping.where(extract, column.name)
    if spec.kind == "value":
        params[f"v{n}"] = spec.text
        return f"CAST(${f'v{n}'} AS VARCHAR)"
    if spec.kind == "expr" and spec.tree is not None:
        missing: list[str] = []

        def qualified(ref: ColumnRef) -> exp.Expr:
            alias, rel = rels.get(ref.source, ("", None))
            found = rel.resolve(ref.column) if rel else None
            if found is None:
                where = rel.describe() if rel else f"source {ref.source}"
                missing.append(f"{at}: unknown source column {ref.column!r} in {where}")
                return exp.null()
            return exp.column(found, table=alias, quoted=True)

        sql = compile_expression(spec.tree, qualified, params, f"e{n}_")
        problems.extend(dict.fromkeys(missing))
        return None if missing else sql
    if spec.source not in rels:
        return None  # its join failed, already reported
    alias, rel = rels[spec.source]
    found = rel.resolve(spec.text)
    if found is None:
        if spec.implicit and not column.required:
            return "NULL"
        if spec.implicit and mapping.fields.get(extract):
            problems.append(
                f"{at}: a required field, not mapped, and {rel.describe()} has no column {spec.text!r}"
            )
        elif spec.implicit:
            problems.append(f"{rel.describe()}: required column {spec.text!r} is missing from the file")
        else:
            problems.append(f"{at}: unknown source column {spec.text!r} in {rel.describe()}")
        return None
    if column.required and spec.source == "":
        for name, header in rel.headers.items():
            if found not in header:
                problems.append(f"{name}: required column {found!r} ({column.name}) is missing from the file")
    return f"{alias}.{ident(found)}"


def _coded(sql: str, mapping: Mapping, extract: str, ours: str, params: dict[str, object], n: int) -> str:
    """`sql` through the field's code map (the bank's values and ours bound), else as it is."""
    pairs = mapping.codes.get(extract, {}).get(ours, {})
    if not pairs:
        return sql
    whens = []
    for k, (theirs, mine) in enumerate(pairs.items()):
        params[f"c{n}_{k}"], params[f"o{n}_{k}"] = str(theirs), str(mine)
        whens.append(f"WHEN $c{n}_{k} THEN $o{n}_{k}")
    text = f"CAST({sql} AS VARCHAR)"
    return f"CASE trim({text}) {' '.join(whens)} ELSE {text} END"


def _typed(column: Column, sql: str, found: str) -> str:
    """`sql` as our column lands in `raw_`: in its own type when the source gives it so, else text."""
    if column.type in NATIVE:
        accepted, loaded = NATIVE[column.type]
        if found in accepted or (loaded == "DOUBLE" and found.startswith("DECIMAL")):
            return f"CAST({sql} AS {loaded})"
    return sql if found == "VARCHAR" else f"CAST({sql} AS VARCHAR)"
