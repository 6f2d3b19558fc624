"""Hand-built valuation histories on the persona bank, shared by the panel, approvals and API tests.

`two_month_ends(bank)` runs two month ends for 王五 (wang, gold, rm_cy at 朝阳) with 李四 linked:

| | 2026-01-31 | 2026-02-28 |
|---|---|---|
| wang: deposits (monthly average) | 60,000 | 40,000 (below the 50,000 gold bar: watch, 1 of 3) |
| wang: contribution of the month | 12,000 | 3,000 (12 months: 15,000) |
| wang: prominence facts | none | industry leader (40 points) |
| li: deposits / contribution | 800,000 / 9,999 | 800,000 / 9,999 |

Worked out by hand (default policy v1: weights 0.5 / 0.2 / 0.3, risk 0.3; sum of positive weights 1.0;
money scores and the value score are percentiles among the clients with a positive figure: here two):
- January: contribution 12,000 above li's 9,999 → 100; relatedness (li's 809,999 above wang's 72,000)
  0.7 × 100 + 0.3 × 10 = 73; points 0.5 × 100 + 0.3 × 73 = 71.9, above li's → value 100.
- February: contribution 15,000 below li's 19,998 → 50 → 25.00 points (−25.00 on January's 50.00);
  prominence 40 → 8.00 points (+8.00); relatedness 73 → 21.90 points (±0); risk 0 (assessed
  2025-12-01, within 12 months); points 54.90, below li's 61.40 (li: 0.5 × 100 + 0.3 × 38; no
  assessment on file: unknown, no risk) → value 50 (−50 on 100); CLV 15,000 × q (1 − q⁵) / (1 − q),
  q = 0.9 / 1.08 → 44,859.18.
"""

from __future__ import annotations

import datetime as dt

from keyclient.customers.models import Customer
from keyclient.valuation.models import ProminenceFact
from keyclient.valuation.tests.monthly import run_month

JAN, FEB = dt.date(2026, 1, 31), dt.date(2026, 2, 28)
EVIDENCE = "2025年度省工商联副主席单位，行业协会官网公示"


def two_month_ends(bank) -> None:  # type: ignore[no-untyped-def]
    wang, li = bank.customers["wang"], bank.customers["li"]
    Customer.objects.filter(pk=wang.pk).update(risk_assessed_on=dt.date(2025, 12, 1))
    links = [(li.customer_no, wang.customer_no)]
    li_figures = {"deposit_madb": 800_000, "contribution_month": 9_999, "aum": 800_000}
    run_month(
        JAN,
        {wang.customer_no: {"deposit_madb": 60_000, "contribution_month": 12_000, "aum": 60_000},
         li.customer_no: li_figures},
        links=links,
    )  # fmt: skip
    ProminenceFact.objects.create(
        customer=wang, kind="industry_leader", evidence=EVIDENCE, recorded_by=bank.user("rm_cy")
    )
    run_month(
        FEB,
        {wang.customer_no: {"deposit_madb": 40_000, "contribution_month": 3_000, "aum": 40_000},
         li.customer_no: li_figures},
        links=links,
    )  # fmt: skip
    wang.refresh_from_db()
