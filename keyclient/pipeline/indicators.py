"""The indicators, declared once: name, grain and definition (SQL over the per-client inputs).

Inputs the definitions may use, all per client for the run date D, built once in `definitions.py` (Ibis)
and selected over by both engines, DuckDB and Spark:
  b  today's balances (deposit, investment, loan)
  m  month to date (days, sum_aum, sum_deposit, sum_loan, sum_contribution)
  w  30/90-day windows (inflow_30d, outflow_30d, inflow_90d, outflow_90d, other_bank_30d, n_30d, n_90d)
  r  recency (last_txn_date)
  h  holdings at the latest snapshot on or before D (products_held, maturing_30d_*)
`{day}` is D's day of the month (the MADB divisor: calendar days elapsed). Definitions are plain SQL
that DuckDB runs as written and sqlglot transpiles for Spark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Indicator:
    name: str
    grain: str
    definition: str
    description: str


CLIENT_DAY = "client × day"
CLIENT_BANK_DAY = "client × destination bank × day"
CLIENT_MONTH = "client × month end"

INDICATORS: tuple[Indicator, ...] = (
    Indicator("aum", CLIENT_DAY, "b.deposit + b.investment", "AUM at end of day: deposits + investments"),
    Indicator("deposit", CLIENT_DAY, "b.deposit", "deposits at end of day (AUM category)"),
    Indicator("investment", CLIENT_DAY, "b.investment", "investments at end of day (AUM category)"),
    Indicator("loan", CLIENT_DAY, "b.loan", "loans outstanding at end of day"),
    Indicator("aum_mtd_avg", CLIENT_DAY, "m.sum_aum / {day}", "month-to-date average daily AUM; at month end the MADB"),
    Indicator("deposit_mtd_avg", CLIENT_DAY, "m.sum_deposit / {day}", "month-to-date average daily deposits"),
    Indicator("loan_mtd_avg", CLIENT_DAY, "m.sum_loan / {day}", "month-to-date average daily loans"),
    Indicator("inflow_30d", CLIENT_DAY, "coalesce(w.inflow_30d, 0)", "credits over the 30 days to D"),
    Indicator("outflow_30d", CLIENT_DAY, "coalesce(w.outflow_30d, 0)", "debits over the 30 days to D"),
    Indicator("inflow_90d", CLIENT_DAY, "coalesce(w.inflow_90d, 0)", "credits over the 90 days to D"),
    Indicator("outflow_90d", CLIENT_DAY, "coalesce(w.outflow_90d, 0)", "debits over the 90 days to D"),
    Indicator(
        "outflow_other_banks_30d", CLIENT_DAY, "coalesce(w.other_bank_30d, 0)",
        "transfers out to other banks over 30 days (detail by bank: ClientBankOutflow)",
    ),
    Indicator("txn_count_30d", CLIENT_DAY, "coalesce(w.n_30d, 0)", "transactions over 30 days"),
    Indicator("txn_count_90d", CLIENT_DAY, "coalesce(w.n_90d, 0)", "transactions over 90 days"),
    Indicator("last_txn_date", CLIENT_DAY, "r.last_txn_date", "date of the latest transaction (recency)"),
    Indicator("products_held", CLIENT_DAY, "coalesce(h.products_held, 0)", "distinct products with a balance"),
    Indicator("maturing_30d_count", CLIENT_DAY, "coalesce(h.maturing_30d_count, 0)", "holdings maturing in (D, D+30]"),
    Indicator("maturing_30d_amount", CLIENT_DAY, "coalesce(h.maturing_30d_amount, 0)", "balance maturing in (D, D+30]"),
    Indicator(
        "contribution_mtd", CLIENT_DAY, "m.sum_contribution",
        "month to date: deposits × deposit spread + loans × loan spread + investments × margin (per day, /365) "
        "+ fee income − cost to serve / 365",
    ),
    Indicator("outflow_by_bank_30d", CLIENT_BANK_DAY, "sum(amount)", "transfers out per destination bank, 30 days"),
    Indicator("month_end_balances", CLIENT_MONTH, "aum, aum_mtd_avg, deposit, investment, loan", "BalanceSnapshot at month end"),
)  # fmt: skip

DAILY = [i for i in INDICATORS if i.grain == CLIENT_DAY]

DEFAULT_PRICING = {
    "deposit_spread": 0.015,  # funds transfer pricing: what a deposit earns the bank per year
    "loan_spread": 0.020,  # net interest margin on loans per year
    "investment_margin": 0.004,  # trailing fees on investments per year
    "cost_to_serve": 600.0,  # per client per year, in the reporting currency
}


def pricing() -> dict[str, Any]:
    """The transfer-pricing spreads and cost to serve (settings.KEYCLIENT_PIPELINE_PRICING overrides)."""
    return {**DEFAULT_PRICING, **getattr(settings, "KEYCLIENT_PIPELINE_PRICING", {})}
