"""Leavers (the churn ground truth): who leaves, when, to which bank, why, and their final status.

About 8% of individuals leave inside the window. Over the 1-3 months before `leave_day` their money
drains to the destination bank; afterwards their balances are about zero. Clients without an RM or with
a stale risk assessment leave more often, which gives a churn model something real to find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .arrays import dates, lookup, weighted_choice
from .clients import Customers
from .refdata import BANKS, CHURN_REASONS, DESTINATION_WEIGHTS, REASON_WEIGHTS

LEAVER_SHARE = 0.08
NEVER = np.iinfo(np.int64).max // 4


@dataclass
class Leavers:
    """Per client: leaver flag and the leave plan (meaningless where `leaver` is False)."""

    leaver: np.ndarray
    leave_day: np.ndarray  # NEVER for stayers
    drain_start: np.ndarray
    destination: np.ndarray  # index into BANKS
    reason: np.ndarray
    salary_moves: np.ndarray
    close_day: np.ndarray  # NEVER unless the client closed all accounts
    status: np.ndarray  # 0 active, 1 dormant, 2 closed

    def table(self, customer_no: pa.Array) -> pa.Table:
        """The `ground_truth/leavers` file."""
        idx = np.flatnonzero(self.leaver)
        return pa.table(
            {
                "customer_no": customer_no.take(pa.array(idx)),
                "leave_date": dates(self.leave_day[idx]),
                "destination_bank_code": lookup([b[0] for b in BANKS], self.destination[idx]),
                "destination_bank_name": lookup([b[1] for b in BANKS], self.destination[idx]),
                "reason": lookup(CHURN_REASONS, self.reason[idx]),
            }
        )


def draw(rng: np.random.Generator, c: Customers, window_start: int, as_of: int) -> Leavers:
    """Choose the leavers (weighted, without replacement) and plan their exit."""
    n = c.n
    eligible = c.individual & ~c.dormant & (c.open_day < window_start - 60)
    weight = np.where(eligible, 1.0, 0.0)
    weight *= np.where(c.rm < 0, 1.8, 1.0) if c.rm is not None else 1.0
    weight *= np.where(c.risk_level == 0, 1.4, 1.0)
    weight *= np.where((c.wealth >= 5e4) & (c.wealth < 5e6), 1.3, 1.0)
    k = min(round(LEAVER_SHARE * c.individual.sum()), int(eligible.sum()))
    keys = np.where(weight > 0, np.log(rng.random(n)) / np.maximum(weight, 1e-12), -np.inf)
    chosen = np.argpartition(-keys, k - 1)[:k] if k > 0 else np.array([], dtype=np.int64)
    leaver = np.zeros(n, dtype=bool)
    leaver[chosen] = True

    span = as_of - 3 - (window_start + 20)
    leave_day = np.where(leaver, window_start + 20 + np.floor(rng.random(n) * span).astype(np.int64), NEVER)
    drain_start = np.where(leaver, leave_day - rng.integers(1, 4, n) * 30 - rng.integers(0, 10, n), NEVER)
    destination = weighted_choice(rng, DESTINATION_WEIGHTS, n)
    reason_w = np.tile(REASON_WEIGHTS, (n, 1))
    if c.rm is not None:
        reason_w[c.rm < 0, 2] *= 3.0  # no RM: more service complaints
    reason = (rng.random(n)[:, None] > np.cumsum(reason_w, 1) / reason_w.sum(1, keepdims=True)).sum(1)
    salary_moves = leaver & c.salaried & (rng.random(n) < 0.6)
    return Leavers(
        leaver=leaver,
        leave_day=leave_day,
        drain_start=drain_start,
        destination=destination,
        reason=reason,
        salary_moves=salary_moves,
        close_day=np.full(n, NEVER, dtype=np.int64),
        status=np.zeros(n, dtype=np.int8),
    )


def settle_status(
    rng: np.random.Generator, lv: Leavers, c: Customers, has_loan: np.ndarray, as_of: int
) -> None:
    """Status after the window: leavers long gone close (unless they owe a loan) or go dormant."""
    n = c.n
    since = np.where(lv.leaver, as_of - lv.leave_day, -1)
    closes = lv.leaver & (since > 60) & ~has_loan & (rng.random(n) < 0.4)
    lv.close_day = np.where(closes, lv.leave_day + rng.integers(5, 40, n), NEVER)
    lv.close_day = np.where(closes & (lv.close_day >= as_of), as_of - 1, lv.close_day)
    status = np.where(lv.leaver & (since > 30), 1, 0)
    status = np.where(closes, 2, status)
    status = np.where(c.dormant & ~lv.leaver, 1, status)
    lv.status = status.astype(np.int8)
