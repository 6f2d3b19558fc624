"""Month-end balances of every account, and the client paths they come from.

A client's deposits and investments follow a monthly path: a personal trend and noise, the bank's
seasonality, market returns on investments, and for leavers a drain to about zero. Accounts take their
share of the path: time deposits keep a fixed principal (until withdrawn), investments split by weight,
loans amortise, the current account takes the rest. All amounts are integer cents, so that the
month-end daily balance equals the holdings summed by group exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import products as P
from .accounts import Accounts
from .arrays import dates, dict_column, sorted_dict_column
from .churn import Leavers
from .clients import Customers
from .extracts import HOLDINGS_SCHEMA
from .timeline import DEPOSIT_SEASON_CORPORATE, DEPOSIT_SEASON_INDIVIDUAL, Month

GROUP_OF_CATEGORY = np.array([0, 0, 1, 1, 1, 1, 2, -1])  # deposit, investment, loan; cards in none


@dataclass
class Paths:
    """Client-level monthly paths, index 0 = month-end before the window, M = last month."""

    dep: np.ndarray  # CNY, (n, M+1)
    inv_mult: np.ndarray  # (n, M+1)
    inv_base: np.ndarray  # CNY
    ret: np.ndarray  # market return of the client's investments in month m, (n, M+1)
    residual: np.ndarray  # CNY a leaver leaves behind


def draw_paths(
    rng: np.random.Generator,
    c: Customers,
    lv: Leavers,
    ends: np.ndarray,
    cal: np.ndarray,
    has_inv: np.ndarray,
) -> Paths:
    """Monthly paths for every client (normalised so the last month matches its drawn wealth)."""
    n, m1 = c.n, ends.size
    corp = c.corporate
    share = np.where(corp, 0.78, 0.88 - 0.08 * np.log10(np.maximum(c.wealth, 1e3) / 1e4))
    share = np.clip(share + rng.normal(0.0, 0.1, n), 0.15, 0.97)
    share = np.where(has_inv, share, 1.0)
    growth = rng.normal(0.003, 0.006, n)[:, None]
    sigma = np.where(corp, 0.08, 0.035)[:, None]
    log_dep = np.cumsum(growth + sigma * rng.standard_normal((n, m1)), axis=1)
    season = np.where(
        corp[:, None], DEPOSIT_SEASON_CORPORATE[cal][None, :], DEPOSIT_SEASON_INDIVIDUAL[cal][None, :]
    )
    dep_mult = np.exp(log_dep - log_dep[:, -1:]) * season / season[:, -1:]
    market = rng.normal(0.003, 0.02, m1)
    beta = rng.uniform(0.1, 1.2, n)[:, None]
    ret = beta * market[None, :] + rng.normal(0.0, 0.008, (n, m1))
    ret[:, 0] = 0.0
    trade = rng.normal(0.002, 0.03, (n, m1))
    log_inv = np.cumsum(np.log1p(ret) + trade, axis=1)
    inv_mult = np.exp(log_inv - log_inv[:, -1:])
    dormant = c.dormant[:, None]
    dep_mult = np.where(dormant, 1.0, dep_mult)
    # Leavers: drain linearly from drain_start to leave_day; investments go first.
    t = ends[None, :].astype(np.float64)
    frac = np.clip(
        (t - lv.drain_start[:, None]) / np.maximum(lv.leave_day - lv.drain_start, 1)[:, None], 0.0, 1.0
    )
    frac = np.where(lv.leaver[:, None], frac, 0.0)
    gone = lv.leaver[:, None] & (t >= lv.leave_day[:, None])
    dep_mult = dep_mult * np.where(gone, 0.0, 1.0 - 0.98 * frac)
    inv_mult = inv_mult * np.where(gone, 0.0, (1.0 - frac) ** 2)
    return Paths(
        dep=c.wealth[:, None] * share[:, None] * dep_mult,
        inv_mult=inv_mult,
        inv_base=c.wealth * (1.0 - share),
        ret=ret,
        residual=np.where(lv.leaver, np.floor(rng.uniform(0, 80, n) * 100) / 100, 0.0),
    )


def assign_amounts(rng: np.random.Generator, c: Customers, acc: Accounts, paths: Paths) -> None:
    """Time-deposit principals, investment weights, loan sizes and terms."""
    cat, cust = acc.category, acc.cust
    td = cat == P.TIME_DEPOSIT
    min_dep = paths.dep.min(axis=1)
    share = rng.uniform(0.3, 0.7, c.n)
    raw = rng.gamma(2.0, 1.0, acc.size)
    td_total = np.bincount(cust[td], weights=raw[td], minlength=c.n)
    principal = np.zeros(acc.size)
    principal[td] = np.round(
        share[cust[td]] * min_dep[cust[td]] * raw[td] / np.maximum(td_total[cust[td]], 1e-9), -2
    )
    kind = np.array(P.arrays().kind)[acc.product]
    loan = cat == P.LOAN
    size = np.select(
        [kind == "mortgage", acc.product == P.index_of("LN002"), acc.product == P.index_of("LN003")],
        [
            np.clip(rng.lognormal(np.log(1.2e6), 0.6, acc.size), 2e5, 2e7),
            np.clip(rng.lognormal(np.log(1.5e5), 0.6, acc.size), 2e4, 1e6),
            np.clip(rng.lognormal(np.log(1e6), 0.8, acc.size), 1e5, 2e7),
        ],
        np.maximum(c.wealth[cust] * rng.lognormal(np.log(0.6), 0.7, acc.size), 5e5),
    )
    principal[loan] = np.round(size[loan], -3)
    acc.principal = principal
    months = np.select(
        [kind == "mortgage", kind == "consumer", kind == "amortising"],
        [
            rng.integers(10, 31, acc.size) * 12,
            rng.integers(1, 4, acc.size) * 12,
            rng.integers(3, 6, acc.size) * 12,
        ],
        12,
    )
    acc.loan_months = np.where(loan, months, 0)
    acc.weight = np.where(GROUP_OF_CATEGORY[cat] == 1, rng.gamma(1.2, 1.0, acc.size), 0.0)
    acc.bullet = kind == "bullet"
    acc.open_month = month_index(acc.open_day)


def month_index(day: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of a day number."""
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


@dataclass
class State:
    """Balances at one month-end: per account (cents) and per client and group (cents)."""

    balance: np.ndarray  # int64 cents per account
    held: np.ndarray  # account is open and held at the month-end
    sums: np.ndarray  # (n, 3) int64 cents: deposit, investment, loan


def month_state(
    m: int,
    end_day: int,
    c: Customers,
    acc: Accounts,
    paths: Paths,
    lv: Leavers,
    card_bill: np.ndarray | None = None,
) -> State:
    """Balances of every account at month-end `m` (0 = before the window)."""
    n = c.n
    cust, cat = acc.cust, acc.category
    present = (c.open_day <= end_day) & (lv.close_day > end_day)
    is_open = (acc.open_day <= end_day) & present[cust]
    gone = lv.leaver & (end_day >= lv.leave_day)
    dep_total = np.where(
        present, np.rint(paths.dep[:, m] * 100) + np.where(gone, np.rint(paths.residual * 100), 0), 0
    )
    bal = np.zeros(acc.size, dtype=np.int64)
    td = (cat == P.TIME_DEPOSIT) & is_open
    td_cents = np.rint(acc.principal * 100).astype(np.int64)
    td_sum = np.bincount(cust[td], weights=td_cents[td], minlength=n)
    keep_td = td_sum <= 0.9 * dep_total
    td &= keep_td[cust]
    bal[td] = td_cents[td]
    td_sum = np.where(keep_td, td_sum, 0)
    primary = acc.offsets[:-1][c.open_day <= end_day]
    owners = np.flatnonzero(c.open_day <= end_day)
    bal[primary] = np.maximum(dep_total[owners] - td_sum[owners], 0).astype(np.int64)
    inv = (GROUP_OF_CATEGORY[cat] == 1) & is_open
    w_open = np.bincount(cust[inv], weights=acc.weight[inv], minlength=n)
    w_all = np.bincount(cust, weights=acc.weight, minlength=n)
    inv_total = (
        paths.inv_base * paths.inv_mult[:, m] * np.where(w_all > 0, w_open / np.maximum(w_all, 1e-12), 0)
    )
    bal[inv] = np.rint(
        inv_total[cust[inv]] * 100 * acc.weight[inv] / np.maximum(w_open[cust[inv]], 1e-12)
    ).astype(np.int64)
    loan = (cat == P.LOAN) & is_open
    age = month_index(np.array([end_day]))[0] - acc.open_month
    left = np.where(acc.bullet, 1.0, np.clip(1.0 - age / np.maximum(acc.loan_months, 1), 0.0, 1.0))
    bal[loan] = np.rint(acc.principal[loan] * left[loan] * 100).astype(np.int64)
    card = (cat == P.CARD) & is_open
    if card_bill is not None:
        bal[card] = card_bill[cust[card]]
    held = is_open & ((bal > 0) | (cat == P.DEPOSIT) & (np.arange(acc.size) == acc.offsets[cust]) | card)
    held &= ~(td & (bal == 0))
    bal = np.where(held, bal, 0)
    group = GROUP_OF_CATEGORY[cat]
    sums = np.zeros((n, 3), dtype=np.int64)
    for g in range(3):
        sel = group == g
        sums[:, g] = np.rint(np.bincount(cust[sel], weights=bal[sel], minlength=n)).astype(np.int64)
    return State(balance=bal, held=held, sums=sums)


def maturity_day(acc: Accounts, day: int, idx: np.ndarray) -> np.ndarray:
    """Next maturity strictly after `day` of accounts `idx` (-1 where none)."""
    product, opened, cat = acc.product[idx], acc.open_day[idx], acc.category[idx]
    term = P.arrays().term_days[product]
    rolling = ((cat == P.TIME_DEPOSIT) | (cat == P.WMP)) & (term >= 30)
    k = np.floor_divide(day - opened, np.maximum(term, 1)) + 1
    out = np.where(rolling, opened + k * term, -1)
    out = np.where((cat == P.INSURANCE) & (opened + term > day), opened + term, out)
    loan_end = opened + np.round(acc.loan_months[idx] * 30.4375).astype(np.int64)
    # A bullet loan is rolled over at maturity: its maturity is the next one after `day`.
    loan_term = np.maximum(loan_end - opened, 1)
    rolled = opened + (np.floor_divide(day - opened, loan_term) + 1) * loan_term
    loan_end = np.where(acc.bullet[idx] & (loan_end <= day), rolled, loan_end)
    return np.where(cat == P.LOAN, loan_end, out)


def holdings_table(
    month: Month,
    state: State,
    acc: Accounts,
    lo: int,
    hi: int,
    customer_no: pa.Array,
    account_no: pa.Array,
    product_code: pa.Array,
) -> pa.Table:
    """Holdings rows of accounts lo:hi (whole clients) at the month-end."""
    idx = lo + np.flatnonzero(state.held[lo:hi])
    mat = maturity_day(acc, month.end, idx)
    return pa.table(
        {
            "as_of": dates(np.full(idx.size, month.end)),
            "customer_no": sorted_dict_column(customer_no, acc.cust[idx]),
            "account_no": account_no.take(pa.array(idx)),
            "product_code": dict_column(product_code, acc.product[idx]),
            "balance": state.balance[idx] / 100.0,
            "maturity_date": dates(np.where(mat < 0, 0, mat), null=mat < 0),
        },
        schema=HOLDINGS_SCHEMA,
    )
