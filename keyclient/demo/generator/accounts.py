"""Which products each client holds: one account row per held product, sorted by client.

Every client has a primary current account first (its transactions settle there). Richer clients hold
more time deposits, wealth products, funds, insurance and metals; investment products are chosen within
the client's risk tolerance, except for a few deliberate suitability breaches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import products as P
from .arrays import dates, group_offsets, lookup
from .clients import Customers
from .identity import account_numbers
from .links import Links

BINS = {"debit": 621_668, "loan": 681_668, "card": 625_668}


@dataclass
class Accounts:
    """One entry per account (index = position), sorted by client then category then open day."""

    cust: np.ndarray
    product: np.ndarray
    category: np.ndarray
    open_day: np.ndarray
    offsets: np.ndarray  # accounts of client i are offsets[i]:offsets[i+1]
    principal: np.ndarray | None = None  # time deposit / loan amount, CNY
    weight: np.ndarray | None = None  # share of the client's investments
    loan_months: np.ndarray | None = None
    closed: np.ndarray | None = None
    bullet: np.ndarray | None = None  # loan repaid at maturity (and rolled over)
    open_month: np.ndarray | None = None  # months since 1970-01

    @property
    def size(self) -> int:
        """Number of accounts."""
        return int(self.cust.size)

    def numbers(self) -> pa.StringArray:
        """19-digit Luhn-valid account numbers (unique: the serial is the account index)."""
        bin6 = np.where(
            self.category == P.LOAN,
            BINS["loan"],
            np.where(self.category == P.CARD, BINS["card"], BINS["debit"]),
        )
        return account_numbers(bin6, np.arange(self.size))

    def table(
        self, account_no: pa.Array, customer_no: pa.Array, org_code: list[str], home_org: np.ndarray
    ) -> pa.Table:
        """The `accounts` extract."""
        return pa.table(
            {
                "account_no": account_no,
                "customer_no": customer_no.take(pa.array(self.cust)),
                "product_code": P.arrays().code.take(pa.array(self.product)),
                "open_date": dates(self.open_day),
                "status": lookup(("active", "closed"), self.closed.astype(np.int64)),
                "org_code": lookup(org_code, home_org[self.cust]),
            }
        )


def _suitable(rng: np.random.Generator, rows: np.ndarray, risk_level: np.ndarray) -> np.ndarray:
    """A product of `rows` (sorted by risk) within each client's tolerance; 4% ignore it."""
    risk = P.arrays().risk[rows]
    tol = np.where(risk_level == 0, 2, risk_level)
    allowed = np.maximum(np.searchsorted(risk, tol, side="right"), 1)
    allowed = np.where(rng.random(tol.size) < 0.04, rows.size, allowed)
    return rows[np.floor(rng.random(tol.size) * allowed).astype(np.int64)]


def draw(rng: np.random.Generator, c: Customers, links: Links, as_of: int) -> Accounts:
    """Draw the accounts of every client."""
    n = c.n
    w, ind, corp = c.wealth, c.individual, c.corporate
    lw = np.log10(np.maximum(w, 1.0))
    cust: list[np.ndarray] = []
    prod: list[np.ndarray] = []

    def add(count: np.ndarray, rows: np.ndarray, suitability: bool = False) -> None:
        who = np.repeat(np.arange(n), count)
        if suitability:
            chosen = _suitable(rng, rows, c.risk_level[who])
        else:
            chosen = rows[rng.integers(0, rows.size, who.size)]
        cust.append(who)
        prod.append(chosen)

    def count(p: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        has = rng.random(n) < np.clip(p, 0.0, 1.0)
        return has.astype(np.int64) * (1 + (extra if extra is not None else 0))

    u = rng.random
    add(ind.astype(np.int64), np.array([P.index_of("DP001")]))
    add(corp.astype(np.int64), np.array([P.index_of("DP002")]))
    add(count(ind * 0.05 * (w >= 1e5)), np.array([P.index_of("DP003")]))
    add(count(corp * 0.3), np.array([P.index_of("DP004")]))
    td_p = np.where(ind, 0.18 + 0.3 * (w >= 5e4) + 0.12 * (c.age >= 55), 0.35)
    add(count(td_p, (w >= 5e5) * (u(n) < 0.4)) * ind, P.choices(P.TIME_DEPOSIT, P.IND))
    add(count(td_p, (u(n) < 0.4)) * corp, P.choices(P.TIME_DEPOSIT, P.CORP))
    wmp_p = np.where(ind, 0.02 + 0.22 * (lw - 4.0), 0.3)
    more = (w >= 1e6) * (u(n) < 0.5) + (w >= 1e7) * (u(n) < 0.6)
    add(count(wmp_p, more) * ind, P.choices(P.WMP, P.IND), suitability=True)
    add(count(wmp_p) * corp, P.choices(P.WMP, P.CORP))
    fund_more = (w >= 5e5) * (u(n) < 0.5) + (w >= 5e6) * (u(n) < 0.6) + (w >= 2e7) * (u(n) < 0.5)
    add(count(ind * (0.01 + 0.18 * (lw - 4.0)), fund_more), P.choices(P.FUND, P.IND), suitability=True)
    ins_p = ind * (0.05 + 0.25 * (w >= 5e5) + 0.08 * ((c.age >= 35) & (c.age < 60)))
    add(count(ins_p, (w >= 6e6) * (u(n) < 0.4)), P.choices(P.INSURANCE, P.IND), suitability=True)
    add(count(ind * (0.02 + 0.08 * (w >= 5e5))), P.choices(P.METAL, P.IND), suitability=True)
    add(count(ind * 0.2 * (c.age >= 25) * (c.age < 58)), np.array([P.index_of("LN001")]))
    add(count(ind * 0.05), np.array([P.index_of("LN002")]))
    add(count(ind * 0.25 * links.owner), np.array([P.index_of("LN003")]))
    add(count(corp * 0.45), np.array([P.index_of("LN004")]))
    add(count(corp * 0.15 * (w >= 1e7)), np.array([P.index_of("LN005")]))
    add(
        count(corp * 0.15 * (links.buyer_offsets[1:] > links.buyer_offsets[:-1])),
        np.array([P.index_of("LN006")]),
    )
    add(count(corp * 0.05 * (w >= 1e8)), np.array([P.index_of("LN007")]))
    card_p = ind * (0.22 + 0.3 * (w >= 5e4) + 0.15 * (w >= 5e5))
    has_card = rng.random(n) < card_p
    tier = np.select([w >= 3e7, w >= 6e6, w >= 5e5], [3, 2, 1], 0)
    cust.append(np.flatnonzero(has_card))
    prod.append(_card_rows(tier[has_card]))
    add(count(corp * 0.2), np.array([P.index_of("CC005")]))

    cust_a = np.concatenate(cust)
    prod_a = np.concatenate(prod)
    category = P.arrays().category[prod_a]
    primary = np.isin(prod_a, [P.index_of("DP001"), P.index_of("DP002")])
    opened = c.open_day[cust_a]
    span = np.maximum(as_of - 5 - opened, 0)
    open_day = np.where(
        primary, opened, opened + np.floor(rng.random(cust_a.size) ** 0.7 * span).astype(np.int64)
    )
    order = np.lexsort((open_day, ~primary, category, cust_a))
    acc = Accounts(
        cust=cust_a[order],
        product=prod_a[order],
        category=category[order],
        open_day=open_day[order],
        offsets=group_offsets(cust_a, n),
    )
    return acc


def _card_rows(tier: np.ndarray) -> np.ndarray:
    """Card product by tier: 0 gold, 1 platinum, 2 diamond, 3 infinite."""
    rows = np.array([P.index_of(code) for code in ("CC001", "CC002", "CC003", "CC004")])
    return rows[tier]


def clip_to_leavers(acc: Accounts, drain_start: np.ndarray, open_day: np.ndarray) -> None:
    """Leavers open no new accounts once their money starts to drain."""
    limit = drain_start[acc.cust] - 1
    acc.open_day = np.where(acc.open_day > limit, np.maximum(open_day[acc.cust], limit), acc.open_day)


def primary_account(acc: Accounts) -> np.ndarray:
    """Index of each client's primary current account (the first of its accounts)."""
    return acc.offsets[:-1]


def card_account(acc: Accounts, n: int) -> np.ndarray:
    """Index of each client's credit card account, -1 if none."""
    out = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(acc.category == P.CARD)
    out[acc.cust[idx[::-1]]] = idx[::-1]
    return out
