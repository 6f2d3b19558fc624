"""Daily balances of each client from the month's flows.

deposit(d) = deposit at the previous month-end + deposit flows up to day d (so the last day equals the
month-end holdings exactly); investment moves with purchases and redemptions and is revalued weekly
(Fridays) by the market return; loans move with drawdowns and repayments. Rows exist only on the days
a client is open.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .arrays import dates, sorted_dict_column
from .balances import State
from .extracts import DAILY_SCHEMA
from .ledger import Frame
from .transactions import ChunkLedger


@dataclass
class DailyChunk:
    """Daily balances of a chunk, (nc, D) float64 whole cents, and which cells are real rows."""

    dep: np.ndarray
    inv: np.ndarray
    loan: np.ndarray
    inside: np.ndarray | None  # None: every cell is a row


def _spread(total: np.ndarray, steps: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Cumulative share of `total` released on the `steps` days inside [lo, hi] (all of it at hi if none)."""
    d = np.arange(steps.size)[None, :]
    mark = (d >= lo[:, None]) & (d <= hi[:, None]) & steps[None, :]
    count = np.cumsum(mark, axis=1)
    k = count[:, -1:]
    frac = np.where(k > 0, count / np.maximum(k, 1), (d >= hi[:, None]).astype(np.float64))
    return np.rint(total[:, None] * frac)


def _cumulate(
    nc: int,
    start: np.ndarray,
    rows: np.ndarray,
    flows: np.ndarray,
    change: np.ndarray,
    steps: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """start + running sum of the (sparse) flows, plus the rest of `change` released over `steps`."""
    out = np.empty((nc, steps.size))
    out[:] = start[:, None]
    rest = change.copy()
    if rows.size:
        out[rows] += np.cumsum(flows, axis=1)
        rest[rows] -= flows.sum(axis=1)
    moved = np.flatnonzero(rest != 0)
    if moved.size:
        out[moved] += _spread(rest[moved], steps, lo[moved], hi[moved])
    np.maximum(out, 0.0, out=out)
    return out


def build(ledger: ChunkLedger, fr: Frame, prev: State, cur: State, c0: int, c1: int) -> DailyChunk:
    """Daily deposit, investment and loan (float64 whole cents) of clients c0:c1."""
    nc = c1 - c0
    lo = fr.lo[c0:c1]
    hi = np.maximum(fr.hi[c0:c1], lo - 1)
    start = prev.sums[c0:c1].astype(np.float64)
    change = (cur.sums[c0:c1] - prev.sums[c0:c1]).astype(np.float64)
    fridays = fr.month.weekdays() == 4
    never = np.zeros(fridays.size, dtype=bool)
    inv = _cumulate(nc, start[:, 1], ledger.inv_rows, ledger.inv, change[:, 1], fridays, lo, hi)
    loan = _cumulate(nc, start[:, 2], ledger.loan_rows, ledger.loan, change[:, 2], never, lo, hi)
    return DailyChunk(dep=ledger.deposit, inv=inv, loan=loan, inside=ledger.inside)


def blocks(daily: DailyChunk, fr: Frame, c0: int, customer_no: pa.Array, rows_per_block: int = 1_000_000):
    """Yield Parquet-ready tables of about `rows_per_block` rows, whole clients each, ordered by client."""
    nc, days = daily.dep.shape
    per = max(1, rows_per_block // days)
    day_no = (fr.month.start + np.arange(days)).astype(np.int32)
    for b0 in range(0, nc, per):
        b1 = min(nc, b0 + per)
        cust = np.repeat(np.arange(c0 + b0, c0 + b1), days)
        date = np.tile(day_no, b1 - b0)
        dep, inv, loan = (x[b0:b1].ravel() for x in (daily.dep, daily.inv, daily.loan))
        if daily.inside is not None:
            keep = daily.inside[b0:b1].ravel()
            cust, date, dep, inv, loan = cust[keep], date[keep], dep[keep], inv[keep], loan[keep]
        if cust.size == 0:
            continue
        yield pa.table(
            {
                "date": dates(date),
                "customer_no": sorted_dict_column(customer_no, cust),
                "deposit": dep / 100.0,
                "investment": inv / 100.0,
                "loan": loan / 100.0,
            },
            schema=DAILY_SCHEMA,
        )


def average_aum(daily: DailyChunk) -> tuple[np.ndarray, np.ndarray]:
    """Per client: sum of daily AUM (cents) over its rows, and the number of rows."""
    aum = daily.dep + daily.inv
    if daily.inside is None:
        return aum.sum(axis=1), np.full(aum.shape[0], aum.shape[1])
    return np.where(daily.inside, aum, 0.0).sum(axis=1), daily.inside.sum(axis=1)
