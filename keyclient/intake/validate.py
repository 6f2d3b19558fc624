"""Read extracts into DuckDB and validate every row, set-based.

Each extract becomes `raw_<name>` (every column as text, plus `_file` and `_line`; dates and numbers
that every file holds as Parquet dates and numbers keep their type), its rejects go into the
`rejects` table (file, line, field, reason) and the rows that pass into `ok_<name>`, typed.
Python never loops over rows: each rule is one SQL predicate over the whole extract.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from keyclient.core.duck import execute
from keyclient.intake import fx
from keyclient.intake.formats import Column, Extract
from keyclient.intake.mapping import Mapping

BOM = b"\xef\xbb\xbf"
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


def find_files(root: Path, extract: Extract, mapping: Mapping) -> list[Path]:
    if pattern := mapping.files.get(extract.name):
        return sorted(p for p in root.glob(pattern) if p.is_file())
    for candidate in (f"{extract.name}.parquet", f"{extract.name}.csv"):
        if (root / candidate).is_file():
            return [root / candidate]
    return sorted(p for p in (root / extract.name).glob("**/*") if p.suffix in {".parquet", ".csv"})


def _utf8_copy(path: Path, encoding: str, workdir: Path, index: int) -> Path:
    """A UTF-8 copy without BOM when the file is in another encoding or starts with a BOM."""
    with path.open("rb") as fh:
        head = fh.read(3)
    if encoding.replace("_", "-").lower() in {"utf-8", "utf8"} and head != BOM:
        return path
    target = workdir / f"{index:04d}-{path.stem}.utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as out:
        first = True
        while chunk := src.read(1 << 20):
            if first and chunk.startswith(BOM):
                chunk = chunk[3:]
            first = False
            out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))
    return target


def read_extract(con: duckdb.DuckDBPyConnection, staged: Staged, mapping: Mapping, workdir: Path) -> None:
    """Fill `raw_<name>` from the files, and `rejects` with lines the CSV reader could not split."""
    ext = staged.extract
    table = f"raw_{ext.name}"
    native = _native_columns(con, ext, staged.files, mapping)
    cols = ", ".join(f"{ident(c.name)} {native.get(c.name, 'VARCHAR')}" for c in ext.columns)
    con.execute(f"CREATE OR REPLACE TABLE {table} (_file VARCHAR, _line BIGINT, {cols})")
    # The code maps are parameters: $code<n> is a bank's value, $ours<n> the value it stands for.
    codes: dict[str, list[int]] = {}
    bound: dict[str, str] = {}
    for column, pairs in mapping.codes.get(ext.name, {}).items():
        for theirs, ours in pairs.items():
            n = len(bound) // 2
            codes.setdefault(column, []).append(n)
            bound.update({f"code{n}": str(theirs), f"ours{n}": str(ours)})
    for index, path in enumerate(staged.files):
        source = f"{ext.name}{index}"
        if path.suffix == ".parquet":
            relation, params = PARQUET, {"path": str(path)}
            line = "file_row_number + 1"
            header = [r[0] for r in con.execute(DESCRIBE_PARQUET, params).fetchall()]
        else:
            encoding = mapping.option(ext.name, "encoding", "utf-8")
            readable = _utf8_copy(path, encoding, workdir, index)
            sep = mapping.option(ext.name, "separator")
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE csv_{source} AS SELECT row_number() OVER () AS _rec, *
                FROM read_csv($path, all_varchar = true, header = true, store_rejects = true,
                    rejects_table = 'rej_{source}', rejects_scan = 'scan_{source}'{", delim = $delim" if sep else ""})""",  # noqa: S608 - names of our temp tables; the path and separator bound
                {"path": str(readable), **({"delim": str(sep)} if sep else {})},
            )
            header = [r[0] for r in con.execute(f"DESCRIBE csv_{source}").fetchall()][1:]
            _csv_lines(con, source, ext.name, path)
            relation, params, line = f"csv_{source} JOIN lines_{source} USING (_rec)", {}, "_line"
        found = {h.strip().lstrip("\ufeff"): h for h in header}
        selects = []
        for column in ext.columns:
            theirs = mapping.source_column(ext.name, column.name)
            if theirs not in found:
                if column.required:
                    raise IntakeError(f"{path.name}: required column {theirs!r} is missing from the file")
                selects.append(f"NULL AS {ident(column.name)}")
                continue
            expr = f"CAST({ident(found[theirs])} AS {native.get(column.name, 'VARCHAR')})"
            if codes.get(column.name):
                whens = " ".join(f"WHEN $code{n} THEN $ours{n}" for n in codes[column.name])
                expr = f"CASE trim({expr}) {whens} ELSE {expr} END"
            selects.append(f"{expr} AS {ident(column.name)}")
        execute(
            con,
            f"INSERT INTO {table} SELECT $file, {line}, {', '.join(selects)} FROM {relation}",  # noqa: S608 - our table and columns, the file's headers quoted by ident; values bound
            {**params, **bound, "file": path.name},
        )
    staged.rows = (
        con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - our table's name
        + con.execute(
            "SELECT count(DISTINCT (file, line)) FROM rejects WHERE extract = ?", [ext.name]
        ).fetchone()[0]
    )


NATIVE = {  # a column's type -> the Parquet types that need no parsing, and the type they load as
    "decimal": ({"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"}, "DOUBLE"),
    "int": (
        {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"},
        "BIGINT",
    ),
    "date": ({"DATE"}, "DATE"),
}


# A Parquet extract file, its path bound as $path; its columns.
PARQUET = "read_parquet($path, file_row_number = true, hive_partitioning = false)"
DESCRIBE_PARQUET = (
    "DESCRIBE SELECT * FROM read_parquet($path, file_row_number = true, hive_partitioning = false)"
)


def _native_columns(
    con: duckdb.DuckDBPyConnection, ext: Extract, files: list[Path], mapping: Mapping
) -> dict[str, str]:
    """The date and number columns every file of `ext` holds in Parquet's own types already: they are
    read as such (no text round trip, nothing to parse); any CSV file means text for all."""
    if not files or any(p.suffix != ".parquet" for p in files):
        return {}
    schemas = [
        {r[0].strip(): r[1] for r in con.execute(DESCRIBE_PARQUET, {"path": str(path)}).fetchall()}
        for path in files
    ]
    native = {}
    for column in ext.columns:
        if column.type not in NATIVE:
            continue
        accepted, loaded = NATIVE[column.type]
        theirs = mapping.source_column(ext.name, column.name)
        found = {schema[theirs] for schema in schemas if theirs in schema}
        if found and all(t in accepted or (loaded == "DOUBLE" and t.startswith("DECIMAL")) for t in found):
            native[column.name] = loaded
    return native


def _csv_lines(con: duckdb.DuckDBPyConnection, source: str, extract: str, path: Path) -> None:
    """Line numbers of the rows read (header = line 1), skipping the lines the reader rejected."""
    reasons = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in STRUCTURAL.items())
    con.execute(
        f"""INSERT INTO rejects SELECT $extract, $file, line, coalesce(arg_min(column_name, column_idx), ''),
            CASE error_type {reasons} ELSE error_type END FROM rej_{source} GROUP BY line, error_type""",  # noqa: S608 - our temp table, our STRUCTURAL texts; the file name bound
        {"extract": extract, "file": path.name},
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE lines_{source} AS
        SELECT row_number() OVER (ORDER BY l) AS _rec, l AS _line FROM range(2,
            (SELECT count(*) FROM csv_{source}) + (SELECT count(DISTINCT line) FROM rej_{source}) + 2) t(l)
        WHERE l NOT IN (SELECT line FROM rej_{source})"""  # noqa: S608 - names of our temp tables
    )


def typed(column: Column, mapping: Mapping, extract: str) -> str:
    """The SQL turning the text of `column` into its type (NULL when it does not parse); the mapping's
    date format and thousands separator are the parameters $date_format and $thousands (see `validate`)."""
    raw = f"nullif(trim({ident(column.name)}), '')"
    if column.type == "date":
        fmt = mapping.option(extract, "date_format")
        return f"try_strptime({raw}, $date_format)::DATE" if fmt else f"try_cast({raw} AS DATE)"
    if column.type in {"decimal", "int"}:
        thousands = mapping.option(extract, "thousands")
        text = f"replace({raw}, $thousands, '')" if thousands else raw
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
    # The mapping's texts are parameters (see `typed`); the date format is also shown in reject reasons.
    params = {
        "date_format": str(mapping.option(ext.name, "date_format") or ""),
        "thousands": str(mapping.option(ext.name, "thousands") or ""),
        "shown_format": str(mapping.option(ext.name, "date_format") or "YYYY-MM-DD"),
    }
    native = {row[0] for row in con.execute(f"DESCRIBE raw_{ext.name}").fetchall()[2:] if row[1] != "VARCHAR"}
    parsed = ", ".join(
        f"{ident(c.name)}, {ident(c.name)} AS {ident(c.name + '__v')}"
        if c.name in native
        else f"nullif(trim({ident(c.name)}), '') AS {ident(c.name)}, {typed(c, mapping, ext.name)} AS {ident(c.name + '__v')}"
        for c in ext.columns
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
    for c in ext.columns:
        raw, value = ident(c.name), ident(c.name + "__v")
        text = f"CAST({raw} AS VARCHAR)" if c.name in native else raw
        shown = "''" if c.personal else f"': ' || {text}"
        if c.required:
            checks.append((c.name, f"{raw} IS NULL", "'required field is empty'"))
        if c.type in {"date", "decimal", "int"}:
            kind = {
                "date": "'a date (' || $shown_format || ')'",
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
            checks.append(
                (
                    c.name,
                    f"{raw} IS NOT NULL AND {raw} NOT IN (SELECT code FROM ref_{c.references})",  # noqa: S608 - a declared reference
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
