"""One month of transactions for a chunk of clients, consistent with the month-end balances.

Scheduled flows (`scheduled`) and everyday activity (`everyday`) come first. Then a balancing transfer
per client makes the month's deposit flows add up exactly to the change of its deposit holdings; for
leavers it is the drain to the destination bank, to their own account there. Where a day's balance
would still go below zero, a transfer in from the client's own account elsewhere covers it and goes
back out as soon as the balance allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .balances import State
from .everyday import everyday
from .ledger import Batch, Frame, Static, concat, other_bank, rand_day, split
from .refdata import COUNTER, MOBILE, ONLINE, OWN_BANK, TRANSFER_IN, TRANSFER_OUT
from .scheduled import scheduled


@dataclass
class ChunkLedger:
    """Sorted transactions of a chunk, its end-of-day deposits and its sparse investment / loan flows."""

    cols: dict[str, np.ndarray]
    deposit: np.ndarray  # (nc, D) end-of-day deposit, whole cents (inf outside present days)
    inside: np.ndarray | None  # (nc, D) present days; None: all days of all clients
    inv_rows: np.ndarray  # local rows with investment flows
    inv: np.ndarray  # (len(inv_rows), D) flows
    loan_rows: np.ndarray
    loan: np.ndarray
    card_bill: np.ndarray  # (nc,) card spending this month


def _key(cols: dict[str, np.ndarray], c0: int, days: int) -> np.ndarray:
    return (cols["cust"].astype(np.int64) - c0) * days + cols["day"]


def _flows(cols: dict[str, np.ndarray], c0: int, nc: int, days: int, group: str) -> np.ndarray:
    """(nc, days) float64 sum (exact whole cents) of a flow column per client and day."""
    return np.bincount(_key(cols, c0, days), weights=cols[group], minlength=nc * days).reshape(nc, days)


def _sparse_flows(
    cols: dict[str, np.ndarray], c0: int, days: int, group: str
) -> tuple[np.ndarray, np.ndarray]:
    """Rows (local client indices) with any flow in `group`, and their (rows, days) flows."""
    sel = np.flatnonzero(cols[group] != 0)
    local = cols["cust"][sel].astype(np.int64) - c0
    rows, pos = np.unique(local, return_inverse=True)
    flows = np.bincount(pos * days + cols["day"][sel], weights=cols[group][sel], minlength=rows.size * days)
    return rows, flows.reshape(rows.size, days)


def _path(start: np.ndarray, flows: np.ndarray, inside: np.ndarray | None) -> np.ndarray:
    """End-of-day balance from a start and daily flows; +inf outside the client's present days."""
    path = np.cumsum(flows, axis=1)
    path += start[:, None]
    if inside is not None:
        path[~inside] = np.inf
    return path


def _balance(
    rng: np.random.Generator,
    st: Static,
    fr: Frame,
    prev: State,
    cur: State,
    c0: int,
    c1: int,
    b: Batch,
    dep_sum: np.ndarray,
    first_neg: np.ndarray,
) -> None:
    """One transfer per client (a drain for leavers) closing the gap to the month-end deposits.

    An inflow lands no later than the first day the balance would otherwise go below zero.
    """
    c, lv, cp = st.c, st.lv, st.cp
    m = fr.month
    cs = np.arange(c0, c1)
    gap = cur.sums[c0:c1, 0] - prev.sums[c0:c1, 0] - dep_sum
    lo, hi = fr.lo[cs], fr.hi[cs]
    ok = (gap != 0) & (hi >= lo)
    drain = ok & lv.leaver[cs] & (gap < 0) & (lv.drain_start[cs] <= m.end)
    d_lo = np.clip(lv.drain_start[cs] - m.start, lo, hi)
    d_hi = np.clip(lv.leave_day[cs] - m.start, d_lo, hi)
    # Leavers: 1-3 transfers out to the destination bank, to their own account there.
    idx = np.flatnonzero(drain)
    parts = 1 + (rng.random(idx.size) < 0.5) + (rng.random(idx.size) < 0.2)
    who, piece, _ = split(rng, idx, -gap[idx], parts)
    day = rand_day(rng, d_lo[who], d_hi[who])
    keep = piece > 0
    g = cs[who[keep]]
    channel = np.where(rng.random(g.size) < 0.7, MOBILE, COUNTER)
    b.add(
        g,
        day[keep],
        piece[keep],
        TRANSFER_OUT,
        channel,
        st.primary[g],
        lv.destination[g],
        cp.index("client", g),
        dep=-piece[keep],
    )
    # Everyone else: one transfer in or out on a random day (opening clients: on the opening day).
    idx = np.flatnonzero(ok & ~drain)
    g = cs[idx]
    amount = gap[idx]
    new = (prev.sums[g, 0] == 0) & (amount > 0)
    last = np.where(fr.act_hi[g] >= lo[idx], fr.act_hi[g], hi[idx])
    neg = first_neg[idx]
    last = np.where((amount > 0) & (neg >= lo[idx]), np.minimum(last, neg), last)
    day = np.where(new, lo[idx], rand_day(rng, lo[idx], last))
    corp = c.corporate[g]
    own = rng.random(idx.size) < 0.5
    name = np.where(
        corp,
        cp.random(rng, "company", idx.size),
        np.where(own, cp.index("client", g), cp.random(rng, "person", idx.size)),
    )
    bank = np.where(rng.random(idx.size) < 0.25, OWN_BANK, other_bank(rng, idx.size))
    big = np.abs(amount) >= 5_000_000
    channel = np.where(big & (rng.random(idx.size) < 0.5), COUNTER, np.where(corp, ONLINE, MOBILE))
    ttype = np.where(amount > 0, TRANSFER_IN, TRANSFER_OUT)
    b.add(g, day, np.abs(amount), ttype, channel, st.primary[g], bank, name, dep=amount)


def _cover_shortfalls(
    rng: np.random.Generator, st: Static, cs: np.ndarray, path: np.ndarray
) -> dict[str, np.ndarray]:
    """Transfers in on the first negative day and back out once the balance stays non-negative."""
    low = path.min(axis=1)
    short = np.flatnonzero(low < 0)
    fix = Batch()
    if short.size:
        sub = path[short]
        need = np.ceil(-low[short]).astype(np.int64)
        first = np.argmax(sub < 0, axis=1)
        suffix = np.minimum.accumulate(sub[:, ::-1], axis=1)[:, ::-1]
        back = np.argmax((suffix >= 0) & (np.arange(sub.shape[1])[None, :] > first[:, None]), axis=1)
        g = cs[short]
        bank = other_bank(rng, short.size)
        name = st.cp.index("client", g)
        fix.add(g, first, need, TRANSFER_IN, MOBILE, st.primary[g], bank, name, dep=need)
        fix.add(g, back, need, TRANSFER_OUT, MOBILE, st.primary[g], bank, name, dep=-need)
    return fix.build()


def chunk_ledger(
    rng: np.random.Generator, st: Static, fr: Frame, prev: State, cur: State, c0: int, c1: int
) -> ChunkLedger:
    """All transactions of clients c0:c1 in the month, sorted by client and day, with daily balances."""
    b = Batch()
    scheduled(rng, st, fr, prev, cur, c0, c1, b)
    bill = everyday(rng, st, fr, c0, c1, b)
    base = b.build()
    nc, days = c1 - c0, fr.month.days
    cs = np.arange(c0, c1)
    lo = fr.lo[cs]
    hi = np.maximum(fr.hi[cs], lo - 1)
    inside = None
    if not ((lo == 0).all() and (hi == days - 1).all()):
        d = np.arange(days)[None, :]
        inside = (d >= lo[:, None]) & (d <= hi[:, None])
    start = prev.sums[c0:c1, 0].astype(np.float64)
    dep = _flows(base, c0, nc, days, "dep")
    below = _path(start, dep, inside) < 0
    first_neg = np.where(below.any(axis=1), np.argmax(below, axis=1), -1)
    extra = Batch()
    _balance(rng, st, fr, prev, cur, c0, c1, extra, np.rint(dep.sum(axis=1)).astype(np.int64), first_neg)
    more = extra.build()
    np.add.at(dep, (more["cust"].astype(np.int64) - c0, more["day"].astype(np.int64)), more["dep"])
    path = _path(start, dep, inside)
    fixed = _cover_shortfalls(rng, st, cs, path)
    if fixed["cust"].size:
        rows = np.unique(fixed["cust"].astype(np.int64) - c0)
        np.add.at(dep, (fixed["cust"].astype(np.int64) - c0, fixed["day"].astype(np.int64)), fixed["dep"])
        path[rows] = _path(start[rows], dep[rows], None if inside is None else inside[rows])
        more = concat(more, fixed)
    inv_rows, inv = _sparse_flows(base, c0, days, "inv")
    loan_rows, loan = _sparse_flows(base, c0, days, "loan")
    cols = concat(base, more)
    for k in ("dep", "inv", "loan"):
        del cols[k]
    key = _key(cols, c0, days)
    keep = cols["amount"] > 0
    order = np.flatnonzero(keep)[np.argsort(key[keep], kind="stable")]
    return ChunkLedger(
        cols={k: v[order] for k, v in cols.items()},
        deposit=path,
        inside=inside,
        inv_rows=inv_rows,
        inv=inv,
        loan_rows=loan_rows,
        loan=loan,
        card_bill=bill,
    )
