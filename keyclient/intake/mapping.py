"""The mapping file: how one bank's extracts differ from our formats, without code.

TOML (stdlib) or YAML (if PyYAML is installed), e.g.::

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

    [extracts.transactions]     # per-extract overrides of encoding, separator, date_format, thousands
    encoding = "utf-8"

    [extracts.daily_balances]
    balance_frequency = "snapshot"  # as-of snapshots carried forward per client (default "daily")
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keyclient.intake.formats import BY_NAME

OPTIONS = ("encoding", "separator", "date_format", "thousands", "balance_frequency")


class MappingError(ValueError):
    """The mapping file is unreadable or names something that does not exist."""


@dataclass
class Mapping:
    options: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    per_extract: dict[str, dict[str, Any]] = field(default_factory=dict)

    def option(self, extract: str, name: str, default: Any = None) -> Any:
        return self.per_extract.get(extract, {}).get(name, self.options.get(name, default))

    def source_column(self, extract: str, ours: str) -> str:
        """The bank's name for our column `ours` (ours when not renamed)."""
        for theirs, mine in self.columns.get(extract, {}).items():
            if mine == ours:
                return theirs
        return ours


def load_mapping(path: Path | None) -> Mapping:
    if path is None:
        return Mapping()
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix in {".yaml", ".yml"}:
            import yaml  # type: ignore[import-untyped]

            raw = yaml.safe_load(text) or {}
        else:
            raw = tomllib.loads(text)
    except Exception as exc:
        raise MappingError(f"{path}: cannot parse the mapping file: {exc}") from exc
    known = {*OPTIONS, "files", "columns", "codes", "extracts"}
    if unknown := sorted(set(raw) - known):
        raise MappingError(f"{path}: unknown keys {unknown}; expected some of {sorted(known)}")
    mapping = Mapping(
        options={k: raw[k] for k in OPTIONS if k in raw},
        files=dict(raw.get("files", {})),
        columns={k: dict(v) for k, v in raw.get("columns", {}).items()},
        codes={k: {c: dict(m) for c, m in v.items()} for k, v in raw.get("codes", {}).items()},
        per_extract={k: dict(v) for k, v in raw.get("extracts", {}).items()},
    )
    for section in (mapping.files, mapping.columns, mapping.codes, mapping.per_extract):
        for name in section:
            if name not in BY_NAME:
                raise MappingError(f"{path}: no extract is called {name!r}; known: {sorted(BY_NAME)}")
    for name, renames in mapping.columns.items():
        for ours in renames.values():
            if ours not in BY_NAME[name].column_names:
                raise MappingError(f"{path}: extract {name} has no column {ours!r}")
    return mapping
