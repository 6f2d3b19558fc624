"""Everyday activity: card spending, transfers in and out, fees.

Each client's count is Poisson with a heavy-tailed personal rate (lognormal activity; corporates about
four times busier), shaped by the spending season. Amounts scale with income (individuals) or size
(corporates). Corporates pay their suppliers and are paid by their buyers when they have linked ones.
"""

from __future__ import annotations

import numpy as np

from .ledger import Batch, Frame, Static, other_bank, rand_day
from .refdata import ATM, CARD_SPEND, COUNTER, FEE, MOBILE, ONLINE, OWN_BANK, POS, TRANSFER_IN, TRANSFER_OUT
from .timeline import SPEND_SEASON

SCHEDULED_PER_MONTH = 3.0  # about this many scheduled / balancing transactions per individual and month
# Type by slot 0..3; cumulative probabilities for individuals (first 4) and corporates (+2, next 4).
SLOT_TYPES = np.array([CARD_SPEND, TRANSFER_IN, TRANSFER_OUT, FEE])
TYPE_CDF = np.array([0.62, 0.76, 0.97, 1.0, 2.0, 2.45, 2.95, 3.0])
SIGMA = np.array([1.0, 1.1, 1.1, 0.0])
FEES = np.array([2.0, 3.0, 10.0, 25.0, 50.0, 100.0, 200.0])
# Channel tables per group (card; individual in; individual out; corporate; fee), offset by 2 per group.
CHANNEL_TABLE = [
    ([POS, ONLINE, MOBILE], [0.45, 0.3, 0.25]),
    ([MOBILE, ONLINE, COUNTER], [0.65, 0.2, 0.15]),
    ([MOBILE, ONLINE, COUNTER, ATM], [0.6, 0.18, 0.12, 0.1]),
    ([ONLINE, COUNTER], [0.75, 0.25]),
    ([ONLINE], [1.0]),
]
CHANNEL_CDF = np.concatenate(
    [2 * g + np.append(np.cumsum(p)[:-1], 1.0) for g, (_, p) in enumerate(CHANNEL_TABLE)]
)
CHANNEL_OF = np.concatenate([np.array(c) for c, _ in CHANNEL_TABLE])


def _pick_linked(
    rng: np.random.Generator, offsets: np.ndarray, targets: np.ndarray, who: np.ndarray
) -> np.ndarray:
    """A random linked client of each of `who` (CSR lists), -1 where it has none."""
    count = offsets[who + 1] - offsets[who]
    if targets.size == 0:
        return np.full(who.size, -1, dtype=np.int64)
    pos = np.minimum(offsets[who] + np.floor(rng.random(who.size) * count).astype(np.int64), targets.size - 1)
    return np.where(count > 0, targets[pos], -1)


def everyday(rng: np.random.Generator, st: Static, fr: Frame, c0: int, c1: int, b: Batch) -> np.ndarray:
    """Add the month's everyday transactions of clients c0:c1; returns each client's card bill (cents)."""
    c, cp, lv = st.c, st.cp, st.lv
    m = fr.month
    cs = np.arange(c0, c1)
    nc = cs.size
    corp = c.corporate[cs]
    lo, act_hi = fr.lo[cs], fr.act_hi[cs]
    act_days = np.maximum(act_hi - lo + 1, 0)
    draining = lv.leaver[cs] & (lv.drain_start[cs] <= m.end)
    base = max(st.txn_rate - SCHEDULED_PER_MONTH, 0.5)
    season = np.where(corp, 1.0, SPEND_SEASON[m.month - 1])
    rate = base * c.activity[cs] * season * act_days / m.days * np.where(draining, 0.6, 1.0)
    count = rng.poisson(np.where(c.dormant[cs], 0.0, rate))
    local = np.repeat(np.arange(nc), count)
    who = cs[local]
    k = who.size
    is_corp = corp[local]
    slot = np.searchsorted(TYPE_CDF, rng.random(k) + 2 * is_corp, side="right") % 4
    ttype = SLOT_TYPES[slot]
    day = rand_day(rng, lo[local], act_hi[local])

    # Amounts: a per-client scale per slot, lognormal noise per transaction.
    income, wealth = c.income[cs], c.wealth[cs]
    card_scale = np.log(income * 0.02 * np.clip(wealth / 1e5, 0.3, 30) ** 0.15)
    move_scale = np.where(corp, np.log(wealth * 0.015), np.log(np.maximum(income * 0.15, wealth * 0.003)))
    scale = np.stack([card_scale, move_scale, move_scale, np.zeros(nc)])
    amount = np.exp(scale[slot, local] + SIGMA[slot] * rng.standard_normal(k))
    fee = slot == 3
    amount[fee] = FEES[rng.integers(0, FEES.size, int(fee.sum()))]
    amount = np.rint(np.clip(amount, 1.0, 5e8) * 100).astype(np.int64)

    card = slot == 0
    on_card = card & (st.card[who] >= 0) & (rng.random(k) < 0.6)
    account = np.where(on_card, st.card[who], st.primary[who])
    group = np.where(card, 0, np.where(fee, 4, np.where(is_corp, 3, np.where(slot == 1, 1, 2))))
    channel = CHANNEL_OF[np.searchsorted(CHANNEL_CDF, rng.random(k) + 2 * group, side="right")]

    name = np.empty(k, dtype=np.int64)
    bank = np.empty(k, dtype=np.int64)
    name[card] = cp.random(rng, "merchant", int(card.sum()))
    bank[card] = -1
    name[fee] = cp.random(rng, "fee", int(fee.sum()))
    bank[fee] = OWN_BANK
    person = ~card & ~fee & ~is_corp
    idx = np.flatnonzero(person)
    own = rng.random(idx.size) < 0.4
    name[idx] = np.where(own, cp.index("client", who[idx]), cp.random(rng, "person", idx.size))
    bank[idx] = np.where(rng.random(idx.size) < 0.35, OWN_BANK, other_bank(rng, idx.size))
    atm = channel == ATM
    name[atm] = cp.index("special", 3)
    bank[atm] = OWN_BANK
    # Corporates: paid by buyers, paying suppliers (linked clients of the bank) or other companies.
    idx = np.flatnonzero(~fee & is_corp)
    lk = st.links
    inflow = ttype[idx] == TRANSFER_IN
    partner = np.where(
        inflow,
        _pick_linked(rng, lk.buyer_offsets, lk.buyer_of, who[idx]),
        _pick_linked(rng, lk.supplier_offsets, lk.supplier_of, who[idx]),
    )
    linked = (partner >= 0) & (rng.random(idx.size) < 0.6)
    name[idx] = np.where(
        linked, cp.index("client", np.maximum(partner, 0)), cp.random(rng, "company", idx.size)
    )
    bank[idx] = np.where(linked, OWN_BANK, other_bank(rng, idx.size))

    sign = np.where(ttype == TRANSFER_IN, 1, -1)
    b.add(who, day, amount, ttype, channel, account, bank, name, dep=np.where(on_card, 0, sign * amount))
    return np.rint(np.bincount(local[on_card], weights=amount[on_card], minlength=nc)).astype(np.int64)
