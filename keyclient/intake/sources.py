"""A load's source files as DuckDB relations: each declared source (a glob or several) is read once
per load, all its files as one relation `(_file, _line, <header columns>)`.

CSV files are read as text into temporary tables (after a UTF-8 copy when they are in another
encoding or start with a BOM), their lines numbered as in the file (header = line 1) and the lines
the reader could not split written to `rejects`; Parquet files are read in place, their columns in
their own types. Headers are trimmed (and a BOM dropped); files with different headers load by name.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from keyclient.intake.formats import Extract
from keyclient.intake.mapping import Mapping
from keyclient.intake.validate import STRUCTURAL, ident, lit

BOM = b"\xef\xbb\xbf"
# A Parquet extract file, its path bound; its columns.
PARQUET = "read_parquet(${p}, file_row_number = true, hive_partitioning = false)"


@dataclass
class Relation:
    """One source over all its files: `sql` (a parenthesised query) with its `params`."""

    name: str
    files: list[Path]
    sql: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    headers: dict[str, set[str]] = field(default_factory=dict)  # file name -> its columns

    def resolve(self, name: str) -> str | None:
        """The source's column called `name` (exactly, else the one column equal ignoring case);
        `_file` and `_line` are the file's name and the line's number (header = line 1)."""
        if name in self.columns or name in {"_file", "_line"}:
            return name
        folded = [c for c in self.columns if c.lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None

    def describe(self) -> str:
        return ", ".join(p.name for p in self.files[:3]) + (" …" if len(self.files) > 3 else "")


def find_files(root: Path, extract: Extract, mapping: Mapping) -> list[Path]:
    """The files of `extract`'s main source: declared (v2 `source`/`files`, v1 `[files]`) or by name."""
    if source := mapping.main.get(extract.name):
        return glob(root, mapping.sources[source].files)
    if pattern := mapping.files.get(extract.name):
        return glob(root, (pattern,))
    for candidate in (f"{extract.name}.parquet", f"{extract.name}.csv"):
        if (root / candidate).is_file():
            return [root / candidate]
    return sorted(p for p in (root / extract.name).glob("**/*") if p.suffix in {".parquet", ".csv"})


def glob(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    return sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()})


class Reader:
    """Reads the sources of one load, each once (an extract's main source, or a declared source)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, root: Path, mapping: Mapping, workdir: Path) -> None:
        self.con, self.root, self.mapping, self.workdir = con, root, mapping, workdir
        self.read: dict[str, Relation] = {}

    def main(self, extract: Extract, files: list[Path]) -> Relation:
        name = self.mapping.main.get(extract.name) or f"_{extract.name}"
        return self._relation(name, files, extract)

    def declared(self, name: str, extract: Extract) -> Relation:
        return self._relation(name, glob(self.root, self.mapping.sources[name].files), extract)

    def _option(self, source: str, extract: Extract, option: str, default: Any = None) -> Any:
        declared = self.mapping.sources.get(source)
        if declared and option in declared.options:
            return declared.options[option]
        if self.mapping.main.get(extract.name, f"_{extract.name}") == source:
            return self.mapping.option(extract.name, option, default)
        return self.mapping.options.get(option, default)

    def _relation(self, name: str, files: list[Path], extract: Extract) -> Relation:
        if name in self.read:
            return self.read[name]
        tag = f"s{len(self.read)}"
        rel = Relation(name, files)
        selects = []
        for index, path in enumerate(files):
            table, file_param = f"{tag}_{index}", f"{tag}f{index}"
            rel.params[file_param] = path.name
            if path.suffix == ".parquet":
                rel.params[f"{tag}p{index}"] = str(path)
                relation = PARQUET.format(p=f"{tag}p{index}")
                describe = f"DESCRIBE SELECT * FROM {relation}"  # noqa: S608 - our relation, the path bound
                rows = self.con.execute(describe, {f"{tag}p{index}": str(path)}).fetchall()
                header = [r[0] for r in rows if r[0] != "file_row_number"]
                line = "file_row_number + 1"
            else:
                header = self._csv(table, path, extract, index, name)
                relation, line = f"csv_{table} JOIN lines_{table} USING (_rec)", "_line"
            found: dict[str, str] = {}
            for h in header:
                found.setdefault(h.strip().lstrip("\ufeff"), h)
            rel.headers[path.name] = set(found)
            rel.columns += [c for c in found if c not in rel.columns]
            columns = "".join(f", {ident(h)} AS {ident(c)}" for c, h in found.items())
            selects.append(f"SELECT ${file_param} AS _file, {line} AS _line{columns} FROM {relation}")  # noqa: S608 - our relations, the headers quoted
        rel.sql = "(" + " UNION ALL BY NAME ".join(selects) + ")" if selects else ""
        self.read[name] = rel
        return rel

    def _csv(self, table: str, path: Path, extract: Extract, index: int, source: str) -> list[str]:
        readable = _utf8_copy(path, self._option(source, extract, "encoding", "utf-8"), self.workdir, table)
        sep = self._option(source, extract, "separator")
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE csv_{table} AS SELECT row_number() OVER () AS _rec, *
            FROM read_csv($path, all_varchar = true, header = true, store_rejects = true,
                rejects_table = 'rej_{table}', rejects_scan = 'scan_{table}'{", delim = $delim" if sep else ""})""",  # noqa: S608 - names of our temp tables; the path and separator bound
            {"path": str(readable), **({"delim": str(sep)} if sep else {})},
        )
        _csv_lines(self.con, table, extract.name, path)
        return [r[0] for r in self.con.execute(f"DESCRIBE csv_{table}").fetchall()][1:]


def _utf8_copy(path: Path, encoding: str, workdir: Path, tag: str) -> Path:
    """A UTF-8 copy without BOM when the file is in another encoding or starts with a BOM."""
    with path.open("rb") as fh:
        head = fh.read(3)
    if encoding.replace("_", "-").lower() in {"utf-8", "utf8"} and head != BOM:
        return path
    target = workdir / f"{tag}-{path.stem}.utf8.csv"
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


def _csv_lines(con: duckdb.DuckDBPyConnection, table: str, extract: str, path: Path) -> None:
    """Line numbers of the rows read (header = line 1), skipping the lines the reader rejected."""
    reasons = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in STRUCTURAL.items())
    con.execute(
        f"""INSERT INTO rejects SELECT $extract, $file, line, coalesce(arg_min(column_name, column_idx), ''),
            CASE error_type {reasons} ELSE error_type END FROM rej_{table} GROUP BY line, error_type""",  # noqa: S608 - our temp table, our STRUCTURAL texts; the file name bound
        {"extract": extract, "file": path.name},
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE lines_{table} AS
        SELECT row_number() OVER (ORDER BY l) AS _rec, l AS _line FROM range(2,
            (SELECT count(*) FROM csv_{table}) + (SELECT count(DISTINCT line) FROM rej_{table}) + 2) t(l)
        WHERE l NOT IN (SELECT line FROM rej_{table})"""  # noqa: S608 - names of our temp tables
    )
