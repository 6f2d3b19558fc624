"""Relationships between clients: households, corporate groups, executives, shareholders, payroll,
supply chain and referrals.

Direction and `role`:
- household: from the household head to a member; role = the member's relation (spouse, child, parent).
- group_member: from the parent company to a subsidiary; role = `subsidiary`.
- executive / shareholder / payroll: from the individual to the company; role = the individual's
  position there (chairman, general_manager, cfo, director / controlling_shareholder, shareholder / employee).
- supplier: from the supplier to its buyer; role = `buyer`.
- referral: from the referrer to the referred client; role is null.

Household members share the head's address and district; children share the head's surname.
Payroll employees get their salary from that company (see `transactions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .arrays import dates, lookup
from .clients import Customers
from .master import Parts

LINK_TYPES = ("household", "group_member", "executive", "shareholder", "payroll", "supplier", "referral")
HOUSEHOLD, GROUP, EXECUTIVE, SHAREHOLDER, PAYROLL, SUPPLIER, REFERRAL = range(7)
ROLES = (
    "spouse",
    "child",
    "parent",
    "subsidiary",
    "chairman",
    "general_manager",
    "cfo",
    "director",
    "controlling_shareholder",
    "shareholder",
    "employee",
    "buyer",
)
SOURCES = ("core_banking", "rm_input", "payroll_file", "business_registry")


@dataclass
class Links:
    """Link rows plus lookups used by other stages."""

    src: list[np.ndarray] = field(default_factory=list)
    dst: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    role: list[np.ndarray] = field(default_factory=list)
    start: list[np.ndarray] = field(default_factory=list)
    source: list[np.ndarray] = field(default_factory=list)
    payroll_corp: np.ndarray | None = None  # corporates that run payroll through the bank
    owner: np.ndarray | None = None  # individuals who own or run a company
    executive: np.ndarray | None = None
    listed_exec: np.ndarray | None = None
    listed: np.ndarray | None = None  # listed companies
    has_child: np.ndarray | None = None
    group_member: np.ndarray | None = None
    supplier_offsets: np.ndarray | None = None  # suppliers of each corporate, CSR-style
    supplier_of: np.ndarray | None = None
    buyer_offsets: np.ndarray | None = None
    buyer_of: np.ndarray | None = None

    def add(
        self,
        src: np.ndarray,
        dst: np.ndarray,
        kind: int,
        role: np.ndarray | int,
        start: np.ndarray,
        source: np.ndarray | int,
    ) -> None:
        """Append links (role -1 = null)."""
        keep = src != dst
        k = int(keep.sum())
        self.src.append(src[keep])
        self.dst.append(dst[keep])
        self.kind.append(np.full(k, kind))
        self.role.append(np.broadcast_to(role, src.shape)[keep].copy())
        self.start.append(start[keep])
        self.source.append(np.broadcast_to(source, src.shape)[keep].copy())

    def table(self, customer_no: pa.Array) -> pa.Table:
        """The `links` extract, ordered by from-customer, one row per (from, to, link_type)."""
        src, dst, kind = (np.concatenate(x) for x in (self.src, self.dst, self.kind))
        order = np.lexsort((kind, dst, src))
        src, dst, kind = src[order], dst[order], kind[order]
        first = np.ones(src.size, dtype=bool)
        first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1]) | (kind[1:] != kind[:-1])
        order = order[first]
        self.src, self.dst, self.kind = [src[first]], [dst[first]], [kind[first]]
        self.role, self.start, self.source = (
            [np.concatenate(x)[order]] for x in (self.role, self.start, self.source)
        )
        return pa.table(
            {
                "from_customer_no": customer_no.take(pa.array(self.src[0])),
                "to_customer_no": customer_no.take(pa.array(self.dst[0])),
                "link_type": lookup(LINK_TYPES, self.kind[0]),
                "role": lookup(ROLES, self.role[0]),
                "start_date": dates(self.start[0]),
                "source": lookup(SOURCES, self.source[0]),
            }
        )

    @property
    def rows(self) -> int:
        """Number of links."""
        return int(sum(s.size for s in self.src))


def _pick(rng: np.random.Generator, pool: np.ndarray, size: int, skew: float = 1.0) -> np.ndarray:
    """`size` members of `pool`, skewed to its front when `skew` > 1."""
    return pool[np.floor(rng.random(size) ** skew * pool.size).astype(np.int64)]


def households(rng: np.random.Generator, c: Customers, parts: Parts, links: Links, as_of: int) -> None:
    """Cut individuals of each sub-branch into households of 1-4 and make members look like family."""
    ind = np.flatnonzero(c.individual)
    order = ind[np.lexsort((rng.random(ind.size), c.site[ind]))]
    sizes = np.array([1, 2, 3, 4])[np.searchsorted([0.48, 0.78, 0.93, 1.0], rng.random(order.size))]
    start = np.zeros(order.size, dtype=bool)
    start[np.cumsum(sizes)[np.cumsum(sizes) < order.size]] = True
    start[0] = True
    start[1:] |= c.site[order][1:] != c.site[order][:-1]
    hh = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    pos = np.arange(order.size) - first[hh]
    head = order[first[hh]]
    member = pos > 0
    m, h = order[member], head[member]
    p = pos[member]
    spouse = p == 1
    child = (p >= 2) & (c.age[h] >= 46)
    parent = (p >= 2) & ~child
    c.male[m[spouse]] = ~c.male[h[spouse]]
    c.age[m[spouse]] = np.clip(c.age[h[spouse]] + rng.normal(-1.0, 3.0, int(spouse.sum())), 20, 95)
    c.age[m[child]] = np.maximum(c.age[h[child]] - rng.uniform(24, 34, int(child.sum())), 18.0)
    c.age[m[parent]] = np.minimum(c.age[h[parent]] + rng.uniform(24, 32, int(parent.sum())), 98.0)
    c.birth_day[m] = (as_of - np.floor(c.age[m] * 365.25)).astype(np.int64) - rng.integers(0, 300, m.size)
    c.birth_day[m] = np.minimum(c.birth_day[m], as_of - 18 * 366)
    young, old = (c.age[m] >= 22) & (c.age[m] < 60), c.age[m] >= 60
    c.salaried[m] = young & (rng.random(m.size) < 0.8) & ~c.dormant[m]
    c.pensioner[m] = old & (rng.random(m.size) < 0.85) & ~c.dormant[m]
    same_surname = child | (parent & (rng.random(m.size) < 0.5))
    parts.person.surname[m[same_surname]] = parts.person.surname[h[same_surname]]
    for arr in (c.district, c.city, parts.street, parts.number, parts.estate, parts.building, parts.room):
        arr[m] = arr[h]
    role = np.where(spouse, 0, np.where(child, 1, 2))
    start_day = np.minimum(np.maximum(c.open_day[m], c.open_day[h]), as_of)
    links.add(h, m, HOUSEHOLD, role, start_day, np.where(rng.random(m.size) < 0.6, 0, 1))
    links.has_child = np.zeros(c.n, dtype=bool)
    links.has_child[h[child]] = True


def companies(rng: np.random.Generator, c: Customers, parts: Parts, links: Links, as_of: int) -> np.ndarray:
    """Groups, executives, shareholders, payroll and supply chains; returns corporates with fixed brands."""
    n = c.n
    corp = np.flatnonzero(c.corporate)
    fixed = np.zeros(n, dtype=bool)
    links.owner = np.zeros(n, dtype=bool)
    links.executive = np.zeros(n, dtype=bool)
    links.listed_exec = np.zeros(n, dtype=bool)
    links.group_member = np.zeros(n, dtype=bool)
    links.payroll_corp = np.zeros(n, dtype=bool)
    links.listed = np.zeros(n, dtype=bool)
    if corp.size < 2:
        links.supplier_offsets = links.buyer_offsets = np.zeros(n + 1, dtype=np.int64)
        links.supplier_of = links.buyer_of = np.zeros(0, dtype=np.int64)
        return fixed
    by_wealth = corp[np.argsort(-c.wealth[corp], kind="stable")]
    parents = by_wealth[: max(1, corp.size // 12)]
    parts.suffix[parents] = 2
    parts.suffix[corp[(parts.suffix[corp] == 2) & ~np.isin(corp, parents)]] = 0
    rest = np.setdiff1d(corp, parents)
    subs = rest[rng.random(rest.size) < 0.2]
    parent_of = parents[rng.integers(0, parents.size, subs.size)]
    parts.brand1[subs], parts.brand2[subs] = parts.brand1[parent_of], parts.brand2[parent_of]
    fixed[subs] = fixed[parents] = True
    links.group_member[subs] = links.group_member[parent_of] = True
    start = np.minimum(np.maximum(c.open_day[subs], c.open_day[parent_of]), as_of)
    links.add(parent_of, subs, GROUP, 3, start, 3)

    # Executives and shareholders: wealthy individuals of the same province.
    ind = np.flatnonzero(c.individual)
    listed = links.listed
    listed[by_wealth[: max(1, corp.size // 40)]] = True
    parts.suffix[by_wealth[: max(1, corp.size // 40)]] = np.where(
        parts.suffix[by_wealth[: max(1, corp.size // 40)]] == 2, 2, 1
    )
    for prov in np.unique(c.province[corp]):
        pool = ind[c.province[ind] == prov]
        pool = pool[np.argsort(-c.wealth[pool], kind="stable")][: max(1, pool.size * 3 // 10)]
        cs = corp[c.province[corp] == prov]
        if pool.size == 0 or cs.size == 0:
            continue
        k = 1 + (rng.random(cs.size) < 0.5) + (rng.random(cs.size) < 0.2)
        company = np.repeat(cs, k)
        rank = np.arange(company.size) - np.repeat(np.cumsum(k) - k, k)
        person = _pick(rng, pool, company.size, skew=1.6)
        role = 4 + np.minimum(rank, 2) + (rank >= 3)
        day = np.minimum(np.maximum(c.open_day[person], c.open_day[company]), as_of)
        links.add(person, company, EXECUTIVE, role, day, 3)
        links.executive[person] = True
        links.listed_exec[person[listed[company]]] = True
        chair = person[rank == 0]
        chair_co = company[rank == 0]
        same = rng.random(chair.size) < 0.6
        owner = np.where(same, chair, _pick(rng, pool, chair.size, skew=2.0))
        links.add(
            owner,
            chair_co,
            SHAREHOLDER,
            8,
            np.minimum(np.maximum(c.open_day[owner], c.open_day[chair_co]), as_of),
            3,
        )
        links.owner[owner] = True
        minority = rng.random(cs.size) < 0.35
        extra = _pick(rng, pool, int(minority.sum()), skew=1.3)
        links.add(
            extra,
            cs[minority],
            SHAREHOLDER,
            9,
            np.minimum(np.maximum(c.open_day[extra], c.open_day[cs[minority]]), as_of),
            3,
        )

        # Payroll: a share of the province's salaried clients are paid by a client company.
        payers = cs[rng.random(cs.size) < np.where(c.wealth[cs] >= 1e6, 0.6, 0.3)]
        if payers.size:
            links.payroll_corp[payers] = True
            staff = np.flatnonzero(c.salaried & (c.province == prov) & ~links.executive)
            staff = staff[rng.random(staff.size) < 0.35]
            w = np.cumsum(np.sqrt(c.wealth[payers]))
            employer = payers[np.searchsorted(w / w[-1], rng.random(staff.size))]
            c.employer[staff] = employer
            c.salary_day[staff] = c.salary_day[employer]
            links.add(
                staff,
                employer,
                PAYROLL,
                10,
                np.minimum(np.maximum(c.open_day[staff], c.open_day[employer]), as_of),
                2,
            )

    # Supply chains: buyers with 1-3 suppliers (mostly in the same province).
    buyers = corp[rng.random(corp.size) < 0.3]
    k = 1 + (rng.random(buyers.size) < 0.5) + (rng.random(buyers.size) < 0.25)
    buyer = np.repeat(buyers, k)
    supplier = corp[rng.integers(0, corp.size, buyer.size)]
    keep = supplier != buyer
    buyer, supplier = buyer[keep], supplier[keep]
    pair = np.unique(supplier * n + buyer)
    supplier, buyer = pair // n, pair % n
    links.add(
        supplier,
        buyer,
        SUPPLIER,
        11,
        np.minimum(np.maximum(c.open_day[supplier], c.open_day[buyer]), as_of),
        np.where(rng.random(buyer.size) < 0.5, 0, 1),
    )
    o = np.argsort(buyer, kind="stable")
    links.supplier_of, links.supplier_offsets = supplier[o], np.searchsorted(buyer[o], np.arange(n + 1))
    o = np.argsort(supplier, kind="stable")
    links.buyer_of, links.buyer_offsets = buyer[o], np.searchsorted(supplier[o], np.arange(n + 1))
    return fixed


def referrals(rng: np.random.Generator, c: Customers, links: Links, as_of: int) -> None:
    """Some recent clients were introduced by a wealthier client of the same sub-branch."""
    ind = np.flatnonzero(c.individual)
    referred = ind[(rng.random(ind.size) < 0.08) & (c.open_day[ind] > as_of - 8 * 365)]
    rich = ind[c.wealth[ind] >= 5e5]
    if rich.size == 0 or referred.size == 0:
        return
    by_site = rich[np.argsort(c.site[rich], kind="stable")]
    lo = np.searchsorted(c.site[by_site], c.site[referred], side="left")
    hi = np.searchsorted(c.site[by_site], c.site[referred], side="right")
    ok = hi > lo
    referrer = by_site[
        np.minimum(lo + np.floor(rng.random(referred.size) * (hi - lo)).astype(np.int64), by_site.size - 1)
    ]
    links.add(referrer[ok], referred[ok], REFERRAL, -1, c.open_day[referred[ok]], 1)
