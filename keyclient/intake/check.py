"""`check_extracts`: a dry run of a load, to write a bank's mapping file. It reads and validates
every extract as `keyclient intake load` would and reports every problem at once (a bad mapping,
a missing file or column, codes without a mapping, rejected lines with their reasons); it writes
nothing: no job, no lake file, no reject file, no CRM row, no audit event."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from keyclient.intake.mapping import MappingError, load_mapping
from keyclient.intake.services import extract_counts, reject_summary, stage

SAMPLES_PER_RULE = 3
SAMPLES = 50


@dataclass
class CheckReport:
    """What a dry run found: `problems` stop a load; rejected lines only count against its threshold."""

    problems: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    unmapped_codes: list[dict[str, Any]] = field(default_factory=list)
    samples: list[tuple[str, int, str, str]] = field(default_factory=list)  # file, line, field, reason

    @property
    def clean(self) -> bool:
        return not self.problems and not any(c["rejected"] for c in self.counts.values())


def check_extracts(
    *, source: Path, mapping_path: Path | None = None, load_date: date | None = None
) -> CheckReport:
    """Dry-run the load of `source` with the mapping; without `load_date`, any date is accepted."""
    report = CheckReport()
    try:
        mapping = load_mapping(mapping_path)
    except MappingError as exc:
        report.problems = str(exc).splitlines()
        return report
    if not source.is_dir():
        report.problems = [f"{source} is not a directory"]
        return report
    workdir = Path(tempfile.mkdtemp(prefix="intake-check-"))
    try:
        con = duckdb.connect()
        staged, report.problems = stage(
            con, source, mapping, load_date or date.max, load_date is None, workdir
        )
        report.counts = extract_counts(con, staged)
        report.reasons = reject_summary(con, top=100)
        report.unmapped_codes = [
            {"extract": e, "field": f, "reason": r, "count": n}
            for e, f, r, n in con.execute(
                """SELECT extract, field, reason, count(*) AS n FROM rejects
                WHERE starts_with(reason, 'unknown code') GROUP BY ALL ORDER BY n DESC, extract, field, reason"""
            ).fetchall()
        ]
        report.samples = [
            (file, line, name, reason)
            for file, line, name, reason in con.execute(
                """SELECT file, line, field, reason FROM rejects
                QUALIFY row_number() OVER (PARTITION BY extract, field, regexp_replace(reason, ': .*$', '')
                    ORDER BY file, line) <= ?
                ORDER BY extract, file, line, field LIMIT ?""",
                [SAMPLES_PER_RULE, SAMPLES],
            ).fetchall()
        ]
        con.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return report
