"""The `loans` extract: every loan held at a month end, with its days overdue and its five-category
classification (正常 / 关注 / 次级 / 可疑 / 损失).

Balances are the loan accounts' month-end balances, so a client's loans sum to that day's `loan` in
daily_balances, to the cent. Days overdue follow a monthly chain per loan: a loan in order falls
behind with a small probability (by 1 to the month's days); a loan in arrears is cured with a
probability that shrinks as the arrears age, or falls a month further behind. The chain starts
`BURN_IN` months before the window, so the first month end already shows a settled mix (about 96%
正常, 3% 关注, 1.2% 次级 + 可疑 + 损失); arrears never exceed a loan's age. The class follows the days
overdue: 0 正常, 1–90 关注, 91–180 次级, 181–360 可疑, over 360 损失.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import products as P
from .accounts import Accounts
from .arrays import dates, dict_column, digit_strings, join, sorted_dict_column
from .balances import State, maturity_day
from .timeline import Month

CLASSES = ("正常", "关注", "次级", "可疑", "损失")
CLASS_BOUNDS = np.array([0, 90, 180, 360])  # upper days overdue of 正常, 关注, 次级, 可疑
FALL_BEHIND = 0.02  # monthly probability that a loan in order misses a payment
CURE = np.array([0.6, 0.45, 0.25, 0.15, 0.12])  # by arrears: <= 30, <= 90, <= 180, <= 360, more days
CURE_BOUNDS = np.array([30, 90, 180, 360])
BURN_IN = 24  # thirty-day months simulated before the window

_DICT = pa.dictionary(pa.int32(), pa.string())
LOANS_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("loan_no", pa.string()),
        ("customer_no", _DICT),
        ("product_code", _DICT),
        ("balance", pa.float64()),
        ("overdue_days", pa.int64()),
        ("classification", _DICT),
        ("maturity_date", pa.date32()),
    ]
)
_CLASSES = pa.array(CLASSES, pa.string())


def classify(overdue_days: np.ndarray) -> np.ndarray:
    """Index into `CLASSES` of each number of days overdue."""
    return np.searchsorted(CLASS_BOUNDS, overdue_days, side="left")


class Arrears:
    """Days overdue of every loan account, moved forward one month end at a time."""

    def __init__(self, rng: np.random.Generator, acc: Accounts, first_end: int) -> None:
        self.rng = rng
        self.idx = np.flatnonzero(acc.category == P.LOAN)
        self.opened = acc.open_day[self.idx]
        self.days = np.zeros(self.idx.size, dtype=np.int64)
        for back in range(BURN_IN, 0, -1):
            self._step(first_end - 30 * back, 30)

    def _step(self, end_day: int, month_days: int) -> None:
        n = self.idx.size
        u = self.rng.random(n)
        behind = self.rng.integers(1, month_days + 1, n)
        cure = CURE[np.searchsorted(CURE_BOUNDS, self.days, side="left")]
        days = np.where(
            self.days == 0,
            np.where(u < FALL_BEHIND, behind, 0),
            np.where(u < cure, 0, self.days + month_days),
        )
        self.days = np.minimum(days, np.maximum(end_day - self.opened, 0))

    def advance(self, month: Month) -> None:
        """Move to `month`'s end."""
        self._step(month.end, month.days)

    def table(
        self,
        month: Month,
        state: State,
        acc: Accounts,
        customer_no: pa.Array,
        product_code: pa.Array,
    ) -> pa.Table:
        """The loans held at `month`'s end (balance > 0), ordered by client."""
        keep = state.held[self.idx] & (state.balance[self.idx] > 0)
        idx, days = self.idx[keep], self.days[keep]
        mature = maturity_day(acc, month.end, idx)
        year = acc.open_day[idx].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
        return pa.table(
            {
                "date": dates(np.full(idx.size, month.end)),
                "loan_no": join("DK", digit_strings(year, 4), digit_strings(idx, 10)),
                "customer_no": sorted_dict_column(customer_no, acc.cust[idx]),
                "product_code": dict_column(product_code, acc.product[idx]),
                "balance": state.balance[idx] / 100.0,
                "overdue_days": days,
                "classification": dict_column(_CLASSES, classify(days)),
                "maturity_date": dates(np.where(mature < 0, 0, mature), null=mature < 0),
            },
            schema=LOANS_SCHEMA,
        )
