"""Scheduled flows of a month: salaries and pensions, payroll, loan repayments and drawdowns, maturities
and roll-overs, new and withdrawn time deposits, investment purchases and redemptions implied by the
month-end holdings, last month's card bill and quarterly interest.
"""

from __future__ import annotations

import numpy as np

from . import products as P
from .balances import State
from .ledger import Batch, Frame, Static, other_bank, rand_day
from .refdata import (
    COUNTER,
    DRAWDOWN,
    INTEREST,
    MATURITY,
    MOBILE,
    ONLINE,
    OWN_BANK,
    PURCHASE,
    REDEMPTION,
    REPAYMENT,
    SALARY,
    TRANSFER_OUT,
)


def scheduled(
    rng: np.random.Generator, st: Static, fr: Frame, prev: State, cur: State, c0: int, c1: int, b: Batch
) -> None:
    """Salaries, payroll, loans, maturities, purchases and redemptions, card bills, interest."""
    c, acc, cp = st.c, st.acc, st.cp
    m = fr.month
    cs = np.arange(c0, c1)
    # Salaries and pensions; the year-end bonus on the same day.
    for amount in (fr.salary, fr.bonus):
        who = cs[amount[c0:c1] > 0]
        day = np.clip(c.salary_day[who] - 1, fr.lo[who], fr.act_hi[who])
        emp = c.employer[who]
        bank = np.where(emp >= 0, OWN_BANK, np.where(c.pensioner[who], OWN_BANK, st.employer_bank[who]))
        name = np.where(
            emp >= 0,
            cp.index("client", np.maximum(emp, 0)),
            np.where(
                c.pensioner[who], cp.index("social", c.city[who]), cp.index("employer", st.ext_employer[who])
            ),
        )
        b.add(who, day, amount[who], SALARY, ONLINE, st.primary[who], bank, name, dep=amount[who])
    who = cs[fr.payroll[c0:c1] > 0]
    day = np.clip(c.salary_day[who] - 2, fr.lo[who], fr.act_hi[who])
    b.add(
        who,
        day,
        fr.payroll[who],
        TRANSFER_OUT,
        ONLINE,
        st.primary[who],
        OWN_BANK,
        cp.index("special", 1),
        dep=-fr.payroll[who],
    )

    a0, a1 = int(acc.offsets[c0]), int(acc.offsets[c1])
    ai = np.arange(a0, a1)
    cat, owner, opened = acc.category[a0:a1], acc.cust[a0:a1], acc.open_day[a0:a1]
    pb, cb = prev.balance[a0:a1], cur.balance[a0:a1]
    present = fr.hi[owner] >= fr.lo[owner]
    product_cp = cp.index("product", acc.product[a0:a1])
    # Loans: monthly repayment of principal and interest; drawdown when opened this month.
    loan = (cat == P.LOAN) & present
    rep = loan & (pb > 0) & (opened < m.start)
    principal = np.maximum(pb - cb, 0)
    interest = np.rint(pb * P.arrays().rate[acc.product[a0:a1]] / 12).astype(np.int64)
    day = np.clip(st.repay_dom[a0:a1] - 1, fr.lo[owner], fr.hi[owner])
    sel = rep & (principal + interest > 0)
    b.add(
        owner[sel],
        day[sel],
        (principal + interest)[sel],
        REPAYMENT,
        ONLINE,
        ai[sel],
        OWN_BANK,
        product_cp[sel],
        dep=-(principal + interest)[sel],
        loan=-principal[sel],
    )
    draw = loan & (opened >= m.start) & (opened <= m.end) & (cb > 0)
    dday = opened - m.start
    b.add(
        owner[draw],
        dday[draw],
        cb[draw],
        DRAWDOWN,
        COUNTER,
        ai[draw],
        OWN_BANK,
        product_cp[draw],
        dep=cb[draw],
        loan=cb[draw],
    )
    home = draw & (acc.product[a0:a1] == P.index_of("LN001"))
    b.add(
        owner[home],
        dday[home],
        cb[home],
        TRANSFER_OUT,
        COUNTER,
        st.primary[owner[home]],
        other_bank(rng, int(home.sum())),
        cp.random(rng, "developer", int(home.sum())),
        dep=-cb[home],
    )
    # Term products: maturity and roll-over; new and withdrawn time deposits.
    term = P.arrays().term_days[acc.product[a0:a1]]
    rolling = ((cat == P.TIME_DEPOSIT) | (cat == P.WMP)) & (term >= 30) & present
    t = np.maximum(term, 1)
    k_end = np.floor_divide(m.end - opened, t)
    matured = (
        rolling
        & (pb > 0)
        & (cb > 0)
        & (opened < m.start)
        & (k_end > np.floor_divide(m.start - 1 - opened, t))
    )
    mday = np.clip(opened + k_end * t - m.start, fr.lo[owner], fr.hi[owner])
    wmp = (cat == P.WMP).astype(np.int64)
    sel = matured
    b.add(
        owner[sel],
        mday[sel],
        pb[sel],
        MATURITY,
        ONLINE,
        ai[sel],
        OWN_BANK,
        product_cp[sel],
        dep=pb[sel] * wmp[sel],
        inv=-pb[sel] * wmp[sel],
    )
    b.add(
        owner[sel],
        mday[sel],
        pb[sel],
        PURCHASE,
        ONLINE,
        ai[sel],
        OWN_BANK,
        product_cp[sel],
        dep=-pb[sel] * wmp[sel],
        inv=pb[sel] * wmp[sel],
    )
    td = (cat == P.TIME_DEPOSIT) & present
    new = td & (opened >= m.start) & (cb > 0)
    b.add(
        owner[new],
        np.clip(opened - m.start, fr.lo[owner], fr.hi[owner])[new],
        cb[new],
        PURCHASE,
        MOBILE,
        ai[new],
        OWN_BANK,
        product_cp[new],
    )
    gone = td & (pb > 0) & (cb == 0)
    gday = rand_day(
        rng, fr.lo[owner], np.where(fr.act_hi[owner] >= fr.lo[owner], fr.act_hi[owner], fr.hi[owner])
    )

    # Investments: the change of holdings not explained by market returns is a purchase or redemption.
    inv = (cat == P.WMP) | (cat == P.FUND) | (cat == P.INSURANCE) | (cat == P.METAL)
    nc = c1 - c0
    buy_acct = last_per_client(owner - c0, ai, inv & cur.held[a0:a1], opened, nc)
    sell_acct = last_per_client(owner - c0, ai, inv & (pb > 0), pb, nc)
    i_prev, i_cur = prev.sums[c0:c1, 1], cur.sums[c0:c1, 1]
    pnl = np.rint(i_prev * st.ret[c0:c1, m.index]).astype(np.int64)
    trade = i_cur - i_prev - pnl
    ok = fr.hi[cs] >= fr.lo[cs]
    buy = ok & (trade >= 10_000) & (buy_acct >= 0)
    sell = ok & (trade <= -10_000) & (sell_acct >= 0)
    tday = rand_day(rng, fr.lo[cs], np.where(fr.act_hi[cs] >= fr.lo[cs], fr.act_hi[cs], fr.hi[cs]))
    # A leaver redeems at the start of the drain, then moves the cash out.
    lv = st.lv
    drain_now = lv.leaver[cs] & (lv.drain_start[cs] <= m.end) & (lv.leave_day[cs] >= m.start)
    drain_day = np.clip(lv.drain_start[cs] - m.start, fr.lo[cs], np.maximum(fr.act_hi[cs], fr.lo[cs]))
    tday = np.where(drain_now, drain_day, tday)
    gday = np.where(drain_now[owner - c0], drain_day[owner - c0], gday)
    chan = np.array([MOBILE, MOBILE, MOBILE, ONLINE, COUNTER])[rng.integers(0, 5, nc)]
    for sel, kind, sign in ((buy, PURCHASE, 1), (sell, REDEMPTION, -1)):
        acct = np.where(sign > 0, buy_acct, sell_acct)[sel]
        amt = np.abs(trade[sel])
        b.add(
            cs[sel],
            tday[sel],
            amt,
            kind,
            chan[sel],
            acct,
            OWN_BANK,
            cp.index("product", acc.product[acct]),
            dep=-sign * amt,
            inv=sign * amt,
        )
    b.add(owner[gone], gday[gone], pb[gone], REDEMPTION, COUNTER, ai[gone], OWN_BANK, product_cp[gone])
    # Card bill of last month, paid on the 20th from the current account.
    who = cs[(st.card[cs] >= 0) & (fr.prev_bill[cs] > 0) & ok]
    b.add(
        who,
        np.clip(19, fr.lo[who], fr.hi[who]),
        fr.prev_bill[who],
        TRANSFER_OUT,
        ONLINE,
        st.primary[who],
        OWN_BANK,
        cp.index("special", 0),
        dep=-fr.prev_bill[who],
    )
    # Quarterly interest on current accounts, credited on the 21st.
    if m.month in (3, 6, 9, 12) and m.days > 20:
        who = cs[ok & (fr.lo[cs] <= 20) & (fr.hi[cs] >= 20)]
        rate = P.arrays().rate[acc.product[st.primary[who]]]
        amt = np.rint(prev.balance[st.primary[who]] * rate / 4).astype(np.int64)
        sel = amt > 0
        b.add(
            who[sel],
            20,
            amt[sel],
            INTEREST,
            ONLINE,
            st.primary[who[sel]],
            OWN_BANK,
            cp.index("special", 4),
            dep=amt[sel],
        )


def last_per_client(
    local: np.ndarray, idx: np.ndarray, mask: np.ndarray, key: np.ndarray, nc: int
) -> np.ndarray:
    """Per client, the masked account with the largest `key` (-1 where none)."""
    out = np.full(nc, -1, dtype=np.int64)
    sel = np.flatnonzero(mask)
    order = sel[np.lexsort((key[sel], local[sel]))]
    out[local[order]] = idx[order]  # later (larger key) entries overwrite earlier ones
    return out
