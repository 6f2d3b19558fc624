"""Validate every row of an extract, set-based.

Each extract is read (`keyclient.intake.compile`) into `raw_<name>` (every column as text, plus
`_file` and `_line`; dates and numbers the sources give in their own types keep them), its rejects go into the
`rejects` table (file, line, field, reason) and the rows that pass into `ok_<name>`, typed.
Python never loops over rows: each rule is one SQL predicate over the whole extract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from keyclient.core.duck import execute
from keyclient.intake import fx
from keyclient.intake.formats import Column, Extract
from keyclient.intake.mapping import Mapping

STRUCTURAL = {
    "MISSING COLUMNS": "truncated line: fewer fields than the header",
    "TOO MANY COLUMNS": "more fields than the header",
    "INVALID ENCODING": "not valid UTF-8: declare the file's encoding (e.g. gbk) in the mapping",
    "INVALID UNICODE": "not valid UTF-8: declare the file's encoding (e.g. gbk) in the mapping",
    "UNQUOTED VALUE": "badly quoted field",
}


class IntakeError(Exception):
    """The load cannot go on (a file is unreadable or lacks a required column): nothing is written."""


def lit(value: object) -> str:
    """A SQL string literal, for our own declared texts and paths. What a bank sends or declares (file
    names, code maps, date formats, separators) is bound as a parameter instead."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier: a column name, ours or a file's header (identifiers cannot be bound)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Staged:
    extract: Extract
    files: list[Path]
    rows: int = 0


def typed(column: Column, mapping: Mapping, extract: str, params: dict[str, Any], n: int) -> str:
    """The SQL turning the text of `column` into its type (NULL when it does not parse). The field's
    date format, century pivot, thousands separator and decimal mark (the field's, else the extract's,
    else the mapping's) are added to `params` as `$fmt<n>`, `$pivot<n>`, `$th<n>` and `$dec<n>`."""
    raw = f"nullif(trim({ident(column.name)}), '')"

    def option(name: str) -> Any:
        return mapping.field_option(extract, column.name, name)

    if column.type == "date":
        fmt = option("date_format")
        if not fmt:
            return f"try_cast({raw} AS DATE)"
        params[f"fmt{n}"] = str(fmt)
        parsed = f"try_strptime({raw}, $fmt{n})::DATE"
        pivot = option("century_pivot")
        if pivot is None or "%y" not in str(fmt):
            return parsed
        # Two-digit years below the pivot are 20YY, the others 19YY (whatever strptime chose).
        params[f"pivot{n}"] = int(pivot)
        d = f"({parsed})"  # the same expression repeated: DuckDB computes it once
        century = (
            f"CASE WHEN year({d}) % 100 < $pivot{n} THEN 2000 ELSE 1900 END + year({d}) % 100 - year({d})"
        )
        return f"CAST({d} + to_years({century}) AS DATE)"
    if column.type in {"decimal", "int"}:
        text = raw
        if thousands := option("thousands"):
            params[f"th{n}"] = str(thousands)
            text = f"replace({text}, $th{n}, '')"
        if option("decimal") == ",":
            text = f"replace({text}, ',', '.')"
        return f"try_cast({text} AS {'DOUBLE' if column.type == 'decimal' else 'BIGINT'})"
    return raw


def validate(
    con: duckdb.DuckDBPyConnection, ext: Extract, mapping: Mapping, load_date: date, *, history: bool
) -> None:
    """Append `ext`'s rejects to `rejects` and build `ok_<name>` from the rows that pass.

    Each column is trimmed and parsed once into `val_<name>` (`c` = the text, `c__v` = the typed
    value; a Parquet column already of its type is both, unparsed); the rules (per column, then the
    extract's `rules` over several columns) then compare cheap columns, all in one scan.
    """
    # The mapping's texts are parameters (see `typed`); a date format is also shown in reject reasons.
    params: dict[str, Any] = {}
    native = {row[0] for row in con.execute(f"DESCRIBE raw_{ext.name}").fetchall()[2:] if row[1] != "VARCHAR"}
    parsed = ", ".join(
        f"{ident(c.name)}, {ident(c.name)} AS {ident(c.name + '__v')}"
        if c.name in native
        else f"nullif(trim({ident(c.name)}), '') AS {ident(c.name)}, {typed(c, mapping, ext.name, params, n)} AS {ident(c.name + '__v')}"
        for n, c in enumerate(ext.columns)
    )
    table = f"val_{ext.name}"
    execute(
        con,
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT _file, _line, {parsed} FROM raw_{ext.name}",  # noqa: S608 - our tables and declared columns; the mapping's texts bound
        params,
    )
    fx.attach(con, ext, table, mapping)  # money extracts: each row's currency and rate
    labels = {"products": "product", "customers": "client", "org_units": "org unit", "staff": "staff member"}
    checks: list[tuple[str, str, str]] = []  # (field, predicate, reason SQL)
    for n, c in enumerate(ext.columns):
        raw, value = ident(c.name), ident(c.name + "__v")
        params[f"shown{n}"] = str(mapping.field_option(ext.name, c.name, "date_format") or "YYYY-MM-DD")
        text = f"CAST({raw} AS VARCHAR)" if c.name in native else raw
        shown = "''" if c.personal else f"': ' || {text}"
        if c.required:
            checks.append((c.name, f"{raw} IS NULL", "'required field is empty'"))
        if c.type in {"date", "decimal", "int"}:
            kind = {
                "date": f"'a date (' || $shown{n} || ')'",
                "decimal": "'a number'",
                "int": "'an integer'",
            }
            checks.append(
                (c.name, f"{raw} IS NOT NULL AND {value} IS NULL", f"'not ' || {kind[c.type]} || {shown}")
            )
        if c.codes:
            allowed = ", ".join(lit(v) for v in c.codes)
            expected = "/".join(c.codes)
            checks.append(
                (
                    c.name,
                    f"{raw} NOT IN ({allowed})",
                    f"'unknown code' || {shown} || ' (expected {expected})'",
                )
            )
        if c.min is not None:
            checks.append((c.name, f"{value} < {c.min}", f"'below the minimum {c.min:g}' || {shown}"))
        if c.max_length:
            checks.append(
                (c.name, f"length({raw}) > {c.max_length}", f"'longer than {c.max_length} characters'")
            )
        if c.references:
            # A reference to the extract itself (a unit's parent) may also point at a row of this file.
            own = f" UNION ALL SELECT {ident(ext.key[0])} FROM {table}" if c.references == ext.name else ""  # noqa: S608 - declared names
            checks.append(
                (
                    c.name,
                    f"{raw} IS NOT NULL AND {raw} NOT IN (SELECT code FROM ref_{c.references}{own})",  # noqa: S608 - a declared reference
                    f"'unknown {labels[c.references]}' || {shown}",
                )
            )
    for rule in ext.rules:
        checks.append((rule.field, rule.predicate, lit(rule.reason)))
    checks += fx.checks(ext)
    if ext.date_column:
        value = ident(ext.date_column + "__v")
        op, says = (">", "is after") if history else ("<>", "is not")
        checks.append(
            (
                ext.date_column,
                f"{value} {op} DATE '{load_date}'",
                f"'date ' || {value} || ' {says} the load date {load_date}'",
            )
        )
    # One scan evaluates every rule; only the rows failing one build the list of their failures.
    failures = ", ".join(
        f"CASE WHEN {predicate} THEN {{'field': {lit(name)}, 'reason': {reason}}} END"
        for name, predicate, reason in checks
    )
    execute(
        con,
        f"""INSERT INTO rejects SELECT {lit(ext.name)}, _file, _line, f.field, f.reason FROM (
            SELECT _file, _line, unnest(list_filter([{failures}], lambda x: x IS NOT NULL)) AS f FROM {table}
            WHERE {" OR ".join(f"coalesce({predicate}, false)" for _, predicate, _ in checks)})""",  # noqa: S608 - declared rules, names and texts, the load date; the mapping's texts bound
        params,
    )
    # Duplicate keys: every occurrence after the first is rejected, naming the first.
    keys = [next(c for c in ext.columns if c.name == k) for k in ext.key]
    key_values = ", ".join(ident(k.name + "__v") for k in keys)
    shown = (
        "''"
        if any(k.personal for k in keys)
        else "' (' || concat_ws(', ', " + ", ".join(ident(k.name) for k in keys) + ") || ')'"
    )
    con.execute(
        f"""INSERT INTO rejects SELECT {lit(ext.name)}, _file, _line, {lit(", ".join(ext.key))},
            'duplicate key' || {shown} || ', first at line ' || first_line
        FROM (SELECT *, row_number() OVER w AS n, first_value(_line) OVER w AS first_line
              FROM {table} WHERE ({key_values}) IN (
                  SELECT ({key_values}) FROM {table} GROUP BY ALL HAVING count(*) > 1
              ) AND {" AND ".join(f"{ident(k.name + '__v')} IS NOT NULL" for k in keys)}
              WINDOW w AS (PARTITION BY {key_values} ORDER BY _file, _line))
        WHERE n > 1"""  # noqa: S608 - declared extract, key and column names
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE ok_{ext.name} AS SELECT {fx.ok_columns(ext)} FROM {table} r
        WHERE NOT EXISTS (SELECT 1 FROM rejects j WHERE j.extract = {lit(ext.name)} AND j.file = r._file AND j.line = r._line)"""  # noqa: S608 - declared extract and column names
    )
    con.execute(f"DROP TABLE {table}")
    con.execute(f"DROP TABLE raw_{ext.name}")
