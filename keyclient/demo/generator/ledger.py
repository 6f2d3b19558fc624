"""Shared pieces of the monthly ledger: the month frame, the static context, the counterparty table and
the batch that collects transaction columns before they are sorted and written.

Direction is from the client's cash point of view: C = money in, D = money out. Each transaction also
carries its effect (in cents) on the client's deposit, investment and loan totals, from which the daily
balances are built: deposit + time deposit -> deposit; wmp, fund, insurance, metal -> investment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .accounts import Accounts
from .arrays import weighted_choice
from .churn import Leavers
from .clients import Customers
from .links import Links
from .refdata import OTHER_BANK_WEIGHTS
from .timeline import Month

FIELDS = ("cust", "day", "amount", "ttype", "channel", "account", "bank", "cp", "dep", "inv", "loan")
DTYPES = {
    "cust": np.int32,
    "day": np.int16,
    "amount": np.int64,
    "ttype": np.int8,
    "channel": np.int8,
    "account": np.int32,
    "bank": np.int8,
    "cp": np.int32,
    "dep": np.int64,
    "inv": np.int64,
    "loan": np.int64,
}


class Batch:
    """Columns of transactions under construction (customer index is global)."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {k: [] for k in FIELDS}

    def add(
        self,
        cust: np.ndarray,
        day: np.ndarray,
        amount: np.ndarray,
        ttype: int | np.ndarray,
        channel: int | np.ndarray,
        account: np.ndarray,
        bank: int | np.ndarray,
        cp: int | np.ndarray,
        dep: int | np.ndarray = 0,
        inv: int | np.ndarray = 0,
        loan: int | np.ndarray = 0,
    ) -> None:
        """Append rows; scalars broadcast."""
        n = np.asarray(cust).size
        if n == 0:
            return
        values = (cust, day, amount, ttype, channel, account, bank, cp, dep, inv, loan)
        for key, value in zip(FIELDS, values, strict=True):
            self.parts[key].append(np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)))

    def build(self) -> dict[str, np.ndarray]:
        """Concatenated columns in compact types (empty arrays if nothing was added)."""
        return {
            k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)).astype(DTYPES[k], copy=False)
            for k, v in self.parts.items()
        }


def concat(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rows of `a` then rows of `b`."""
    return {k: np.concatenate([a[k], b[k]]) for k in a}


@dataclass
class Counterparties:
    """One string table for every counterparty name: pools first, then each client's name."""

    table: pa.Array
    offsets: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    unique: pa.Array | None = None  # distinct names
    remap: np.ndarray | None = None  # table index -> index into `unique`

    @classmethod
    def build(cls, pools: dict[str, list[str]], client_names: pa.Array) -> Counterparties:
        """Concatenate the pools and the client names."""
        offsets, sizes, flat = {}, {}, []
        for key, values in pools.items():
            offsets[key], sizes[key] = len(flat), len(values)
            flat += values
        offsets["client"], sizes["client"] = len(flat), len(client_names)
        table = pa.concat_arrays([pa.array(flat, pa.string()), client_names.cast(pa.string())])
        # Names repeat (a client may share a name with a pool entry): dictionaries must hold each once.
        encoded = table.dictionary_encode()
        unique = encoded.dictionary
        remap = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return cls(table=table, offsets=offsets, sizes=sizes, unique=unique, remap=remap)

    def index(self, pool: str, i: np.ndarray | int) -> np.ndarray:
        """Table index of entry `i` of a pool."""
        return self.offsets[pool] + np.asarray(i, dtype=np.int64)

    def random(self, rng: np.random.Generator, pool: str, size: int) -> np.ndarray:
        """Random entries of a pool."""
        return self.offsets[pool] + rng.integers(0, self.sizes[pool], size)


@dataclass
class Static:
    """Everything the monthly ledger needs that does not change from month to month."""

    c: Customers
    acc: Accounts
    lv: Leavers
    links: Links
    cp: Counterparties
    primary: np.ndarray  # primary account per client
    card: np.ndarray  # card account per client, -1 = none
    ext_employer: np.ndarray  # index into the employer pool
    employer_bank: np.ndarray  # index into BANKS
    bonus_month: np.ndarray  # calendar month (1-12) of the year-end bonus, 0 = none
    bonus_mult: np.ndarray
    repay_dom: np.ndarray  # per account: day of month of loan repayments (1-28)
    ret: np.ndarray  # (n, M+1) monthly return of each client's investments
    txn_rate: float  # target transactions per individual and month

    @classmethod
    def build(
        cls,
        rng: np.random.Generator,
        c: Customers,
        acc: Accounts,
        lv: Leavers,
        links: Links,
        cp: Counterparties,
        primary: np.ndarray,
        card: np.ndarray,
        ret: np.ndarray,
        txn_rate: float,
    ) -> Static:
        """Draw the per-client constants."""
        n = c.n
        opened = acc.open_day.astype("datetime64[D]")
        dom = (opened - opened.astype("datetime64[M]")).astype(np.int64) + 1
        u = rng.random(n)
        return cls(
            c=c,
            acc=acc,
            lv=lv,
            links=links,
            cp=cp,
            primary=primary,
            card=card,
            ext_employer=rng.integers(0, cp.sizes["employer"], n),
            employer_bank=weighted_choice(rng, OTHER_BANK_WEIGHTS, n),
            bonus_month=np.where(u < 0.5, 1, np.where(u < 0.75, 2, 0)) * c.salaried,
            bonus_mult=rng.uniform(1.0, 6.0, n),
            repay_dom=np.minimum(dom, 28),
            ret=ret,
            txn_rate=txn_rate,
        )


@dataclass
class Frame:
    """Per-client facts of one month: present days, ordinary-activity days, pay."""

    month: Month
    lo: np.ndarray  # first present day (0-based day of month)
    hi: np.ndarray  # last present day; hi < lo: absent all month
    act_hi: np.ndarray  # last day of ordinary activity (a leaver stops at the leave day)
    salary: np.ndarray  # cents paid this month (0 = none)
    bonus: np.ndarray
    payroll: np.ndarray  # cents a corporate pays its staff through the bank
    prev_bill: np.ndarray  # last month's card bill, cents

    @property
    def present(self) -> np.ndarray:
        """Clients with at least one day in the month."""
        return self.hi >= self.lo


def make_frame(rng: np.random.Generator, st: Static, month: Month, prev_bill: np.ndarray) -> Frame:
    """Compute the month frame for every client."""
    c, lv = st.c, st.lv
    ms, last = month.start, month.days - 1
    lo = np.clip(c.open_day - ms, 0, last + 1)
    hi = np.clip(lv.close_day - 1 - ms, -1, last)
    act_hi = np.minimum(hi, np.clip(lv.leave_day - ms, -1, last))
    pay_day = np.clip(c.salary_day - 1, 0, last)
    paid = (c.salaried | c.pensioner) & (pay_day >= lo) & (pay_day <= act_hi)
    paid &= ~(lv.salary_moves & (ms + pay_day >= lv.drain_start))
    noise = np.where(c.pensioner, 1.0, 1.0 + rng.normal(0.0, 0.03, c.n))
    salary = np.where(paid, np.rint(c.income * noise * 100), 0).astype(np.int64)
    bonus = np.where(
        paid & (st.bonus_month == month.month), np.rint(c.income * st.bonus_mult * 100), 0
    ).astype(np.int64)
    employee = (c.employer >= 0) & paid
    payroll = np.rint(
        np.bincount(c.employer[employee], weights=(salary + bonus)[employee], minlength=c.n)
    ).astype(np.int64)
    corp_pay = st.links.payroll_corp & (lo <= act_hi)
    payroll = np.where(corp_pay, payroll + np.rint(c.wealth * 0.004 * 100).astype(np.int64), 0)
    return Frame(
        month=month,
        lo=lo,
        hi=hi,
        act_hi=act_hi,
        salary=salary,
        bonus=bonus,
        payroll=payroll,
        prev_bill=prev_bill,
    )


OTHER_BANK_CDF = np.cumsum(OTHER_BANK_WEIGHTS) / OTHER_BANK_WEIGHTS.sum()


def other_bank(rng: np.random.Generator, size: int) -> np.ndarray:
    """Random other banks (index into BANKS), weighted by their share of transfers."""
    return np.searchsorted(OTHER_BANK_CDF, rng.random(size), side="right")


def rand_day(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform day in [lo, hi] (lo where hi < lo)."""
    return lo + np.floor(rng.random(np.asarray(lo).size) * np.maximum(hi - lo + 1, 1)).astype(np.int64)


def split(
    rng: np.random.Generator, who: np.ndarray, amount: np.ndarray, parts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each amount (cents) into `parts` random pieces that add up exactly; returns (who, piece, rank)."""
    rep = np.repeat(np.arange(who.size), parts)
    w = rng.uniform(0.5, 1.5, rep.size)
    total = np.bincount(rep, weights=w, minlength=who.size)
    piece = np.floor(amount[rep] * w / total[rep]).astype(np.int64)
    rank = np.arange(rep.size) - np.repeat(np.cumsum(parts) - parts, parts)
    last = rank == parts[rep] - 1
    piece[last] += amount[rep[last]] - np.bincount(rep, weights=piece, minlength=who.size)[rep[last]].astype(
        np.int64
    )
    return who[rep], piece, rank
