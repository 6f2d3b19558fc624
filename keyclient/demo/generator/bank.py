"""`generate`: build the whole synthetic bank and write its extracts.

Static tables first (org, staff, products, clients, links, accounts, ground truth), then month by
month and chunk by chunk of clients: month-end balances, transactions, daily balances, holdings and
loans. Every random draw comes from a generator seeded by (seed, stage, month, chunk), so the same
arguments give byte-identical files.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from . import accounts as A
from . import balances as B
from . import churn, clients, daily, extracts, master, org
from . import products as P
from .arrays import day_number
from .geo import build_tables
from .ledger import Counterparties, Static, make_frame
from .links import Links, companies, households, referrals
from .loans import LOANS_SCHEMA, Arrears
from .timeline import calendar_months, month_ends, window
from .transactions import chunk_ledger
from .writer import Writer

Progress = Callable[[str, int, int], None]
CHUNK = 200_000
OUTPUTS = (
    "org_units",
    "staff",
    "products",
    "customers",
    "accounts",
    "holdings",
    "loans",
    "links",
    "daily_balances",
    "transactions",
    "ground_truth",
)
TIERS = (("private_banking", 1e7), ("diamond", 6e6), ("platinum", 5e5), ("gold", 5e4))


class _Clock:
    """Seconds and CPU seconds per stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._t, self._c = time.perf_counter(), time.process_time()

    def lap(self, stage: str) -> None:
        t, c = time.perf_counter(), time.process_time()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + t - self._t, 3)
        self.cpu[stage] = round(self.cpu.get(stage, 0.0) + c - self._c, 3)
        self._t, self._c = t, c


def _clear(out: Path) -> None:
    """Remove extracts of an earlier run (only the names this generator writes)."""
    for name in OUTPUTS:
        for path in (out / name, out / f"{name}.parquet", out / f"{name}.csv"):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


def generate(
    out_dir: Path,
    *,
    customers: int = 20_000,
    seed: int = 7,
    fmt: str = "parquet",
    months: int = 12,
    as_of: date = date(2026, 10, 31),
    progress: Progress | None = None,
    txn_per_month: float = 8.0,
) -> dict[str, Any]:
    """Write the demo bank's extracts into `out_dir` and return a summary (rows, tiers, seconds)."""
    if customers < 10:
        raise ValueError("customers must be at least 10")
    say = progress or (lambda _stage, _done, _total: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    clock = _Clock()

    def rng(*key: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([seed, *key]))

    n = customers
    today = day_number(as_of)
    span = window(as_of, months)
    ends = month_ends(span)
    start = span[0].start
    geo = build_tables()
    tree = org.build_tree(geo)
    c = clients.draw(rng(1), n, geo, tree, today, start)
    c.employer = np.full(n, -1, dtype=np.int64)
    parts = master.draw_parts(rng(2), c)
    links = Links()
    households(rng(3), c, parts, links, today)
    fixed = companies(rng(4), c, parts, links, today)
    referrals(rng(5), c, links, today)
    master.dedupe_companies(rng(6), c, parts, fixed)
    staff = org.build_staff(rng(7), tree, geo, clients.covered_per_site(c, len(tree.site_unit)))
    c.rm = org.assign_rms(rng(8), staff, c.site, c.covered)
    _give_first_rm_a_book(c, staff)
    lv = churn.draw(rng(9), c, start, today)
    acc = A.draw(rng(10), c, links, today)
    A.clip_to_leavers(acc, lv.drain_start, c.open_day)
    has_loan = np.bincount(acc.cust[acc.category == P.LOAN], minlength=n) > 0
    churn.settle_status(rng(11), lv, c, has_loan, today)
    has_inv = np.bincount(acc.cust[B.GROUP_OF_CATEGORY[acc.category] == 1], minlength=n) > 0
    paths = B.draw_paths(rng(12), c, lv, ends, calendar_months(span), has_inv)
    B.assign_amounts(rng(13), c, acc, paths)
    say("clients", 1, 1)
    clock.lap("clients")

    writer = Writer(out, fmt)
    rows: dict[str, int] = {}
    try:
        rows["org_units"] = writer.table("org_units", tree.table())
        rows["staff"] = writer.table("staff", staff.table())
        rows["products"] = writer.table("products", P.table())
        tags = master.tag_strings(extracts.tag_masks(rng(15), c, acc, links, parts, today), n)
        cust_table = master.build_table(rng(16), c, parts, lv, geo, tree, staff, tags)
        rows["customers"] = writer.table("customers", cust_table)
        customer_no = cust_table.column("customer_no").combine_chunks()
        rows["links"] = writer.table("links", links.table(customer_no))
        rows["ground_truth/leavers"] = writer.table("ground_truth/leavers", lv.table(customer_no))
        account_no = acc.numbers()
        say("master", 1, 1)
        clock.lap("master")
        cp = Counterparties.build(
            extracts.counterparty_pools(rng(17), geo), cust_table.column("name").combine_chunks()
        )
        primary, card = A.primary_account(acc), A.card_account(acc, n)
        st = Static.build(rng(18), c, acc, lv, links, cp, primary, card, paths.ret, txn_per_month)
        summary = _months(rng, writer, st, paths, span, ends, customer_no, account_no, say, clock)
        rows.update(summary.pop("rows"))
        final = summary.pop("state")
        # Closed: every account of a closed client; repaid loans and withdrawn time deposits.
        ended = np.isin(acc.category, [P.LOAN, P.TIME_DEPOSIT]) & (acc.open_day <= today)
        acc.closed = ~final.held & ((lv.close_day <= today)[acc.cust] | ended)
        rows["accounts"] = writer.table("accounts", acc.table(account_no, customer_no, tree.code, c.home_org))
        writer.close()
    except BaseException:
        writer.close()
        raise
    clock.lap("accounts")
    aum = summary.pop("aum")
    summary.update(_pyramid(c, aum))
    summary.update(
        rows=rows,
        customers=n,
        individuals=int(c.individual.sum()),
        corporates=int(c.corporate.sum()),
        leavers=int(lv.leaver.sum()),
        months=months,
        as_of=as_of.isoformat(),
        seconds=dict(clock.seconds),
        cpu_seconds=dict(clock.cpu),
        load_average=list(os.getloadavg()),
    )
    return summary


def _give_first_rm_a_book(c: clients.Customers, staff: org.Staff) -> None:
    """The first RM (the demo login) serves the richest covered clients of the first sub-branch."""
    first = int(staff.site_rm_start[0])
    site0 = np.flatnonzero((c.site == 0) & c.covered)
    if site0.size:
        top = site0[np.argsort(-c.wealth[site0], kind="stable")[: max(1, min(5, site0.size // 50))]]
        c.rm[top] = first


def _months(
    rng: Callable[..., np.random.Generator],
    writer: Writer,
    st: Static,
    paths: B.Paths,
    span: list,
    ends: np.ndarray,
    customer_no: Any,
    account_no: Any,
    say: Progress,
    clock: _Clock,
) -> dict[str, Any]:
    """The monthly loop: transactions, daily balances and holdings, chunk by chunk."""
    c, acc, lv = st.c, st.acc, st.lv
    n = c.n
    product_code = P.arrays().code
    prev = B.month_state(0, int(ends[0]), c, acc, paths, lv)
    prev_bill = np.where(st.card >= 0, np.rint(c.income * 0.06 * 100), 0).astype(np.int64)
    holdings = writer.sink("holdings", extracts.HOLDINGS_SCHEMA)
    loans = writer.sink("loans", LOANS_SCHEMA)
    arrears = Arrears(rng(22), acc, int(ends[0]))
    rows = {"transactions": 0, "daily_balances": 0}
    aum_sum = np.zeros(n)
    aum_days = np.zeros(n)
    txn_id = 1
    for k, month in enumerate(span, start=1):
        cur = B.month_state(k, int(ends[k]), c, acc, paths, lv)
        frame = make_frame(rng(20, k), st, month, prev_bill)
        txns = writer.sink("transactions", extracts.TXN_SCHEMA, partition=month.label)
        days = writer.sink("daily_balances", extracts.DAILY_SCHEMA, partition=month.label)
        bills = np.zeros(n, dtype=np.int64)
        for ci, c0 in enumerate(range(0, n, CHUNK)):
            c1 = min(n, c0 + CHUNK)
            ledger = chunk_ledger(rng(21, k, ci), st, frame, prev, cur, c0, c1)
            bills[c0:c1] = ledger.card_bill
            for table in extracts.transaction_blocks(
                ledger.cols, txn_id, month.start, customer_no, account_no, st.cp.unique, st.cp.remap
            ):
                txns.write(table)
            txn_id += ledger.cols["cust"].size
            clock.lap("transactions")
            chunk_daily = daily.build(ledger, frame, prev, cur, c0, c1)
            for table in daily.blocks(chunk_daily, frame, c0, customer_no):
                days.write(table)
            if k == len(span):
                s, d = daily.average_aum(chunk_daily)
                aum_sum[c0:c1], aum_days[c0:c1] = s, d
            clock.lap("daily_balances")
        card_held = (acc.category == P.CARD) & cur.held
        cur.balance[card_held] = bills[acc.cust[card_held]]
        for c0 in range(0, n, CHUNK):
            c1 = min(n, c0 + CHUNK)
            holdings.write(
                B.holdings_table(
                    month,
                    cur,
                    acc,
                    int(acc.offsets[c0]),
                    int(acc.offsets[c1]),
                    customer_no,
                    account_no,
                    product_code,
                )
            )
        arrears.advance(month)
        loans.write(arrears.table(month, cur, acc, customer_no, product_code))
        clock.lap("holdings")
        rows["transactions"] += txns.rows
        rows["daily_balances"] += days.rows
        txns.close()
        days.close()
        prev, prev_bill = cur, bills
        say("months", k, len(span))
    holdings.close()
    loans.close()
    writer.drain()
    clock.lap("write")
    rows["holdings"] = holdings.rows
    rows["loans"] = loans.rows
    aum = np.where(aum_days > 0, aum_sum / np.maximum(aum_days, 1) / 100.0, 0.0)
    return {"rows": rows, "state": prev, "aum": aum}


def _pyramid(c: clients.Customers, aum: np.ndarray) -> dict[str, Any]:
    """Tier counts of individuals (last month's average daily AUM) and the top-20% share."""
    ind = aum[c.individual]
    tiers = {name: int((ind >= floor).sum()) for name, floor in TIERS}
    ordered = np.sort(ind)[::-1]
    top = ordered[: max(1, round(0.2 * ordered.size))].sum()
    share = float(top / ordered.sum()) if ordered.sum() > 0 else 0.0
    return {
        "private_banking": tiers["private_banking"],
        "tiers": tiers,
        "pareto_top20_share": round(share, 4),
        "aum_total": round(float(aum.sum()), 2),
    }
