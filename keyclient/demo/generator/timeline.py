"""The history window (calendar months ending at `as_of`) and the bank's seasonality.

Days are integers: days since 1970-01-01 (numpy-friendly, and the storage of Arrow's date32).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .arrays import day_number

# Month-end deposit level by calendar month (index 0 = January). Individuals: year-end bonuses land
# in January/February (Spring Festival), a half-year and a year-end push; corporates: quarter-ends.
DEPOSIT_SEASON_INDIVIDUAL = np.array([1.05, 1.06, 1.02, 1.0, 0.99, 1.02, 1.0, 0.99, 1.01, 1.0, 0.98, 1.03])
DEPOSIT_SEASON_CORPORATE = np.array([0.94, 0.96, 1.04, 0.98, 0.99, 1.06, 0.98, 0.99, 1.04, 0.99, 1.0, 1.1])
# Card spending by calendar month: Spring Festival, 618, National Day, Double 11.
SPEND_SEASON = np.array([1.25, 1.45, 0.9, 0.95, 1.0, 1.12, 1.0, 1.0, 1.0, 1.1, 1.3, 1.05])


@dataclass(frozen=True)
class Month:
    """One calendar month of the window; `end` is the month's last day, or `as_of` for the last month."""

    index: int  # 1..months (0 is the month-end before the window)
    year: int
    month: int
    start: int
    end: int

    @property
    def label(self) -> str:
        """`2026-10`: the partition name."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def days(self) -> int:
        """Number of days of the month inside the window."""
        return self.end - self.start + 1

    def weekdays(self) -> np.ndarray:
        """Weekday (Monday = 0) of each day of the month."""
        return (np.arange(self.start, self.end + 1) + 3) % 7


def window(as_of: date, months: int) -> list[Month]:
    """The `months` calendar months ending with `as_of`'s month."""
    if months < 1:
        raise ValueError("months must be at least 1")
    out: list[Month] = []
    y, m = as_of.year, as_of.month
    for k in range(months, 0, -1):
        start = date(y, m, 1)
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        end = min(day_number(nxt) - 1, day_number(as_of))
        out.append(Month(index=k, year=y, month=m, start=day_number(start), end=end))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def month_ends(months: list[Month]) -> np.ndarray:
    """Day numbers of the month-end before the window (index 0) and of each month's end."""
    return np.array([months[0].start - 1] + [m.end for m in months], dtype=np.int64)


def calendar_months(months: list[Month]) -> np.ndarray:
    """Calendar month (0-11) of index 0..M (index 0 = the month before the window)."""
    first = (months[0].month - 2) % 12
    return np.array([first] + [m.month - 1 for m in months])
