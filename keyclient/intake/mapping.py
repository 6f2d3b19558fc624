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

    [fx_rates]                  # fixed rates: reporting-currency units per one unit (keyclient.intake.fx)
    USD = 7.1
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keyclient.intake.formats import BY_NAME

OPTIONS = ("encoding", "separator", "date_format", "thousands")


class MappingError(ValueError):
    """The mapping file is unreadable or names something that does not exist."""


@dataclass
class Mapping:
    options: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    per_extract: dict[str, dict[str, Any]] = field(default_factory=dict)
    fx_rates: dict[str, float] = field(default_factory=dict)

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
    known = {*OPTIONS, "files", "columns", "codes", "extracts", "fx_rates"}
    if unknown := sorted(set(raw) - known):
        raise MappingError(f"{path}: unknown keys {unknown}; expected some of {sorted(known)}")
    mapping = Mapping(
        options={k: raw[k] for k in OPTIONS if k in raw},
        files=dict(raw.get("files", {})),
        columns={k: dict(v) for k, v in raw.get("columns", {}).items()},
        codes={k: {c: dict(m) for c, m in v.items()} for k, v in raw.get("codes", {}).items()},
        per_extract={k: dict(v) for k, v in raw.get("extracts", {}).items()},
        fx_rates=_fx_rates(path, raw.get("fx_rates", {})),
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
