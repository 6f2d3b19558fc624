"""The rejected lines of one intake load, read back from its reject file (file, line, field and
reason: no personal value, see docs/security.md), for the load's rejects page."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from keyclient.intake.models import IntakeJob

SHOWN = 500  # lines on the page; the file holds them all


@dataclass(frozen=True)
class RejectLine:
    file: str
    line: int
    field: str
    reason: str


def reject_lines(job: IntakeJob, *, limit: int = SHOWN) -> list[RejectLine]:
    """The first `limit` rejected lines of `job` (none when it rejected nothing or the file is gone)."""
    if not job.rows_rejected or not job.reject_file:
        return []
    path = Path(job.reject_file)
    if not path.is_file():
        return []
    lines: list[RejectLine] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if len(lines) >= limit:
                break
            lines.append(RejectLine(row["file"], int(row["line"]), row["field"] or "", row["reason"]))
    return lines
