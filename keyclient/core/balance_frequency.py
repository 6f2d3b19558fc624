"""How often a bank's balances extract observes its clients, recorded with each landed partition.

`daily`: every partition is the whole bank on that date (a client missing from it holds nothing);
`snapshot`: a partition holds as-of observations, and each client's latest one holds until the next
(carried forward). The intake writes the declaration (mapping option `balance_frequency`) into each
`daily_balances/date=D/` folder it lands, as the file `_frequency` (a leading underscore: DuckDB's
`*.parquet` glob and Spark's reader skip it); the pipeline reads it back. No file reads as daily.
"""

from __future__ import annotations

from pathlib import Path

DAILY, SNAPSHOT = "daily", "snapshot"
FREQUENCIES = (DAILY, SNAPSHOT)
FILE = "_frequency"


def write(folder: Path, frequency: str) -> None:
    (folder / FILE).write_text(frequency, encoding="utf-8")


def read(folder: Path) -> str:
    path = folder / FILE
    return path.read_text(encoding="utf-8").strip() if path.exists() else DAILY
