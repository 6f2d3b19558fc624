"""A small inbox for starting an intake from the UI: the persona bank's day of extracts
(`keyclient.intake.tests.extracts`, 2026-10-31) with 150 transactions, one of them with an amount
that is not a number — one rejected line, under the 1% reject threshold, so the load succeeds."""

from __future__ import annotations

from pathlib import Path

from keyclient.intake.tests.extracts import GOOD, LOAD_DATE, write_day

TRANSACTIONS = 150
BAD_LINE = 77  # the file's line number (the header is line 1)
BAD_REASON = "not a number: abc"


def transactions(count: int = TRANSACTIONS) -> str:
    header = GOOD["transactions"].splitlines()[0]
    rows = []
    for n in range(1, count + 1):
        amount = "abc" if n + 1 == BAD_LINE else f"{n}.00"
        rows.append(f"{2000 + n},2026-10-31,7100000001,6222000000000001,{amount},C,salary,,")
    return "\n".join([header, *rows]) + "\n"


def write_inbox(inbox: Path, *, count: int = TRANSACTIONS) -> Path:
    """The day's folder `<inbox>/2026-10-31/` (`count` transactions, one rejected: under 101 the load
    is over the reject threshold), plus things that are not a day's folder."""
    day = write_day(inbox / LOAD_DATE.isoformat(), {"transactions": transactions(count)})
    (inbox / "README").write_text("not a day", encoding="utf-8")
    (inbox / "2026-11-01").write_text("a file, not a folder", encoding="utf-8")
    (inbox / "2026-13-01").mkdir()  # not a date
    (inbox / "2026-10-30").mkdir()  # an earlier day, offered too
    return day
