"""The mapping file: how one bank's extracts differ from our formats, without code (docs/intake.md,
"Mapping file" and "Loading your own bank").

TOML (stdlib) or YAML (if PyYAML is installed). Version 1 keys (still read as they were)::

    encoding = "gbk"            # default utf-8 (a leading BOM is always tolerated)
    separator = "|"             # default: detected
    date_format = "%Y%m%d"      # default ISO 8601 (YYYY-MM-DD)
    thousands = ","             # stripped from numbers before parsing
    [files]                     # which file is which (a glob under the load directory)
    customers = "CUST_*.csv"
    [columns.customers]         # renames: the bank's column -> ours
    CUST_NO = "customer_no"
    [codes.customers.kind]      # code maps: the bank's value -> ours
    "1" = "individual"
    [extracts.transactions]     # per-extract options
    encoding = "utf-8"

Version 2 adds, per extract, `files` or `source` (a declared `[sources.<name>]`), `joins` to other
declared sources on equal keys, `fields` (each of our fields from a source column, a constant or an
expression, see `keyclient.intake.expressions`) and `codes` for any field; and the options
`decimal` and `century_pivot`. Everything static is checked here, before any file is read;
source columns are checked against the files' headers when they are read (`keyclient.intake.sources`).
Fixed exchange rates (reporting-currency units per one unit, `keyclient.intake.fx`)::

    [fx_rates]
    USD = 7.1

Balances observed as month-end or irregular snapshots::

    [extracts.daily_balances]
    balance_frequency = "snapshot"  # as-of snapshots carried forward per client (default "daily")
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from keyclient.core import balance_frequency
from keyclient.intake.expressions import ExpressionError, parse, references
from keyclient.intake.formats import BY_NAME

# How a file is read: the whole mapping, a source or an extract may set them.
READ_OPTIONS = ("encoding", "separator")
# How a field's text is parsed: the whole mapping, an extract or one field may set them.
PARSE_OPTIONS = ("date_format", "century_pivot", "decimal", "thousands")
# Options of an extract only. Add new per-extract options here (e.g. `balance_frequency`, currency
# and FX options), with their check in `_check_option` when they take a fixed set of values.
EXTRACT_ONLY_OPTIONS: tuple[str, ...] = ("distinct", "balance_frequency")
OPTIONS = READ_OPTIONS + PARSE_OPTIONS
EXTRACT_OPTIONS = OPTIONS + EXTRACT_ONLY_OPTIONS
EXTRACT_KEYS = {*EXTRACT_OPTIONS, "files", "source", "joins", "fields", "codes"}
FIELD_KINDS = ("column", "value", "expr")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class MappingError(ValueError):
    """The mapping file is unreadable or names something that does not exist."""


@dataclass(frozen=True)
class Source:
    """Declared source files: globs under the load directory (several files load as one)."""

    name: str
    files: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Join:
    """A lookup: rows of `source` whose `on` columns equal the main source's (main -> joined)."""

    source: str
    on: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Field:
    """Where one of our fields comes from: a source column (`source` "" = the extract's main source,
    else a joined source), a constant `value`, or an `expr`. `implicit` fields come from version 1
    renames or our own column names: an optional one absent from the files is simply empty."""

    kind: str
    text: str
    source: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    implicit: bool = False
    tree: exp.Expr | None = None


@dataclass
class Mapping:
    options: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    per_extract: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    main: dict[str, str] = field(default_factory=dict)  # extract -> its main source's name
    joins: dict[str, list[Join]] = field(default_factory=dict)
    fields: dict[str, dict[str, Field]] = field(default_factory=dict)
    fx_rates: dict[str, float] = field(default_factory=dict)

    def option(self, extract: str, name: str, default: Any = None) -> Any:
        return self.per_extract.get(extract, {}).get(name, self.options.get(name, default))

    def field_option(self, extract: str, ours: str, name: str, default: Any = None) -> Any:
        spec = self.fields.get(extract, {}).get(ours)
        if spec is not None and name in spec.options:
            return spec.options[name]
        return self.option(extract, name, default)

    def source_column(self, extract: str, ours: str) -> str:
        """The bank's name for our column `ours` (ours when not renamed)."""
        for theirs, mine in self.columns.get(extract, {}).items():
            if mine == ours:
                return theirs
        return ours

    def field(self, extract: str, ours: str) -> Field:
        """Where our field `ours` of `extract` comes from (a version 1 rename or our own name by default)."""
        return self.fields.get(extract, {}).get(ours) or Field(
            "column", self.source_column(extract, ours), implicit=True
        )

    def where(self, extract: str, ours: str = "") -> str:
        """`<mapping file>: extract <x>, field <y>`, the start of an error message."""
        name = self.path.name if self.path else "(no mapping)"
        return f"{name}: extract {extract}" + (f", field {ours}" if ours else "")


def load_mapping(path: Path | None) -> Mapping:
    if path is None:
        return Mapping()
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix in {".yaml", ".yml"}:
            import yaml  # type: ignore[import-untyped]

            raw = yaml.safe_load(text) or {}
        else:
            raw = tomllib.loads(text)
    except Exception as exc:
        raise MappingError(f"{path}: cannot parse the mapping file: {exc}") from exc
    errors: list[str] = []
    mapping = _build(raw, path, errors)
    if errors:
        raise MappingError(f"{path}: {len(errors)} problem(s) in the mapping:\n" + "\n".join(errors))
    return mapping


def _build(raw: dict[str, Any], path: Path, errors: list[str]) -> Mapping:
    known = {*OPTIONS, "files", "columns", "codes", "extracts", "sources", "fx_rates"}
    if unknown := sorted(set(raw) - known):
        errors.append(f"unknown keys {unknown}; expected some of {sorted(known)}")
    extracts = {k: dict(v) for k, v in raw.get("extracts", {}).items()}
    mapping = Mapping(
        options={k: raw[k] for k in OPTIONS if k in raw},
        files=dict(raw.get("files", {})),
        columns={k: dict(v) for k, v in raw.get("columns", {}).items()},
        codes={k: {c: dict(m) for c, m in v.items()} for k, v in raw.get("codes", {}).items()},
        per_extract={k: {o: v[o] for o in EXTRACT_OPTIONS if o in v} for k, v in extracts.items()},
        path=path,
        fx_rates=_fx_rates(path, raw.get("fx_rates", {})),
    )
    for name, option in mapping.options.items():
        _check_option(f"option {name}", name, option, errors)
    for section in (mapping.files, mapping.columns, mapping.codes, extracts):
        for name in section:
            if name not in BY_NAME:
                errors.append(f"no extract is called {name!r}; known: {sorted(BY_NAME)}")
    for name, renames in mapping.columns.items():
        for ours in renames.values():
            if name in BY_NAME and ours not in BY_NAME[name].column_names:
                errors.append(f"extract {name} has no column {ours!r}")
    for name, spec in dict(raw.get("sources", {})).items():
        where = f"source {name}"
        if not NAME.match(name) or not isinstance(spec, dict):
            errors.append(f"{where}: a source is a table with a name of letters, digits and _")
            continue
        if unknown := sorted(set(spec) - {"files", *READ_OPTIONS}):
            errors.append(f"{where}: unknown keys {unknown}; expected files, encoding, separator")
        files = _globs(spec.get("files"), where, errors)
        mapping.sources[name] = Source(name, files, {k: spec[k] for k in READ_OPTIONS if k in spec})
    for name, spec in extracts.items():
        if name in BY_NAME:
            _extract(mapping, name, spec, errors)
    return mapping


def _globs(value: Any, where: str, errors: list[str]) -> tuple[str, ...]:
    globs = (value,) if isinstance(value, str) else tuple(value or ())
    if not globs or not all(isinstance(g, str) and g for g in globs):
        errors.append(f"{where}: files must be a glob or a list of globs")
    return tuple(str(g) for g in globs)


def _check_option(where: str, name: str, value: Any, errors: list[str]) -> None:
    if name == "century_pivot" and not (isinstance(value, int) and 0 <= value <= 100):
        errors.append(f"{where}: century_pivot must be a whole number from 0 to 100")
    elif name == "distinct" and not isinstance(value, bool):
        errors.append(f"{where}: distinct must be true or false")
    elif name not in {"century_pivot", "distinct"} and not isinstance(value, str):
        errors.append(f"{where}: {name} must be a text")
    elif name == "decimal" and value not in {".", ","}:
        errors.append(f"{where}: decimal must be '.' or ','")
    elif name == "balance_frequency" and value not in balance_frequency.FREQUENCIES:
        errors.append(
            f"{where}: balance_frequency is {value!r}; expected one of {list(balance_frequency.FREQUENCIES)}"
        )


def _extract(mapping: Mapping, name: str, spec: dict[str, Any], errors: list[str]) -> None:
    ext = BY_NAME[name]
    where = f"extract {name}"
    if unknown := sorted(set(spec) - EXTRACT_KEYS):
        errors.append(f"{where}: unknown keys {unknown}; expected some of {sorted(EXTRACT_KEYS)}")
    for option in EXTRACT_OPTIONS:
        if option in spec:
            _check_option(where, option, spec[option], errors)
    if "files" in spec and "source" in spec:
        errors.append(f"{where}: give files or source, not both")
    if "files" in spec:
        if name in mapping.files:
            errors.append(f"{where}: files given both in [files] and in [extracts.{name}]")
        mapping.sources[f"_{name}"] = Source(f"_{name}", _globs(spec["files"], where, errors))
        mapping.main[name] = f"_{name}"
    elif "source" in spec:
        if spec["source"] not in mapping.sources:
            errors.append(f"{where}: source {spec['source']!r} is not declared in [sources]")
        mapping.main[name] = str(spec["source"])
    for n, join in enumerate(spec.get("joins", [])):
        at = f"{where}, join {n + 1}"
        if not isinstance(join, dict) or set(join) != {"source", "on"} or not isinstance(join["on"], dict):
            errors.append(
                f'{at}: a join is {{ source = "<declared source>", on = {{ <column> = "<its column>" }} }}'
            )
            continue
        if join["source"] not in mapping.sources:
            errors.append(f"{at}: source {join['source']!r} is not declared in [sources]")
        elif join["source"] == mapping.main.get(name) or any(
            j.source == join["source"] for j in mapping.joins.get(name, [])
        ):
            errors.append(f"{at}: source {join['source']!r} is already part of this extract")
        if not join["on"]:
            errors.append(f"{at}: on names no key column")
        on = tuple((str(k), str(v)) for k, v in join["on"].items())
        mapping.joins.setdefault(name, []).append(Join(str(join["source"]), on))
    joined = {j.source for j in mapping.joins.get(name, [])}
    fields: dict[str, Field] = {}
    for ours, value in dict(spec.get("fields", {})).items():
        at = f"{where}, field {ours}"
        if ours not in ext.column_names:
            errors.append(f"{at}: extract {name} has no field {ours!r}")
            continue
        if ours in mapping.columns.get(name, {}).values():
            errors.append(f"{at}: mapped both in [columns.{name}] and in fields")
        if parsed := _field(value, at, joined, errors):
            fields[ours] = parsed
    mapping.fields[name] = fields
    for ours, pairs in dict(spec.get("codes", {})).items():
        if ours not in ext.column_names:
            errors.append(f"{where}, codes: extract {name} has no field {ours!r}")
            continue
        mapping.codes.setdefault(name, {}).setdefault(ours, {}).update(
            {str(k): str(v) for k, v in dict(pairs).items()}
        )


def _field(value: Any, at: str, joined: set[str], errors: list[str]) -> Field | None:
    if isinstance(value, str):
        return Field("column", value)
    if not isinstance(value, dict):
        errors.append(
            f"{at}: a field is a source column name or a table with one of {', '.join(FIELD_KINDS)}"
        )
        return None
    kinds = [k for k in FIELD_KINDS if k in value]
    if len(kinds) != 1:
        errors.append(f"{at}: give exactly one of {', '.join(FIELD_KINDS)}")
        return None
    kind = kinds[0]
    if unknown := sorted(set(value) - {kind, "source", *PARSE_OPTIONS}):
        errors.append(f"{at}: unknown keys {unknown}")
    options = {k: value[k] for k in PARSE_OPTIONS if k in value}
    for option, v in options.items():
        _check_option(at, option, v, errors)
    source = str(value.get("source", ""))
    if source and (kind != "column" or source not in joined):
        errors.append(f"{at}: source {source!r} is not a joined source of this extract")
    if kind == "expr":
        try:
            tree = parse(str(value["expr"]))
        except ExpressionError as exc:
            errors.append(f"{at}: {exc}")
            return None
        for ref in references(tree):
            if ref.source and ref.source not in joined:
                errors.append(
                    f"{at}: {ref.source}.{ref.column}: {ref.source!r} is not a joined source of this extract"
                )
        return Field("expr", str(value["expr"]), options=options, tree=tree)
    return Field(kind, str(value[kind]), source=source, options=options)


def _fx_rates(path: Path, raw: Any) -> dict[str, float]:
    """`[fx_rates]`: a three-letter currency code -> a positive number (reporting-currency units per unit)."""
    if not isinstance(raw, dict):
        raise MappingError(f"{path}: fx_rates must be a table of currency = rate")
    rates = {}
    for code, rate in raw.items():
        if not (len(code) == 3 and code.isascii() and code.isalpha()):
            raise MappingError(f"{path}: fx_rates: {code!r} is not a three-letter currency code")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise MappingError(f"{path}: fx_rates.{code}: the rate must be a number above zero, not {rate!r}")
        rates[code.upper()] = float(rate)
    return rates
