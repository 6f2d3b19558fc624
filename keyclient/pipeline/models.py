"""What the pipeline writes into the CRM database: per-client daily indicators, outflows to other
banks, and a watermark per indicator. Month-end balances go to `products.BalanceSnapshot`.

The two per-client tables are daily snapshots written only by the pipeline, a million rows at a time,
for clients it has just read from the client master: their client key has no database constraint
(on PostgreSQL a per-row trigger at commit). Deleting a client still deletes its rows (Django applies
the CASCADE).

`ClientDailyIndicator` grows by one date at a time, so its one index leads with the date: a day's
million rows append at the end of it instead of landing between every client's earlier days. Read it
by date (the latest is the watermark's `through_date`). `retention.prune` keeps the last 100 days and
every month end (older dates are computed again from the lake by `pipeline backfill`).
`ClientBankOutflow` holds the day's transfers per destination bank (tens of thousands of rows a day,
not a 30-day window per client and bank, which is a million): `queries.outflow_by_bank` sums a window."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


def money(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=18, decimal_places=2, default=0)


class ClientDailyIndicator(models.Model):
    """One client's indicators at one business date (see keyclient/pipeline/indicators.py)."""

    date = models.DateField(_("date"))
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+",
        db_constraint=False, db_index=False,  # a snapshot: see the module docstring
    )  # fmt: skip
    aum = money(_("AUM"))
    deposit = money(_("deposits"))
    investment = money(_("investments"))
    loan = money(_("loans"))
    aum_mtd_avg = money(_("AUM month-to-date average"))
    deposit_mtd_avg = money(_("deposits month-to-date average"))
    loan_mtd_avg = money(_("loans month-to-date average"))
    inflow_30d = money(_("inflow, 30 days"))
    outflow_30d = money(_("outflow, 30 days"))
    inflow_90d = money(_("inflow, 90 days"))
    outflow_90d = money(_("outflow, 90 days"))
    outflow_other_banks_30d = money(_("outflow to other banks, 30 days"))
    txn_count_30d = models.IntegerField(_("transactions, 30 days"), default=0)
    txn_count_90d = models.IntegerField(_("transactions, 90 days"), default=0)
    last_txn_date = models.DateField(_("last transaction"), null=True, blank=True)
    products_held = models.IntegerField(_("products held"), default=0)
    maturing_30d_count = models.IntegerField(_("maturities in 30 days"), default=0)
    maturing_30d_amount = money(_("amount maturing in 30 days"))
    contribution_mtd = money(_("contribution month to date"))

    class Meta:
        verbose_name = _("client daily indicator")
        verbose_name_plural = _("client daily indicators")
        ordering = ["customer", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["date", "customer"], name="client_daily_indicator_unique")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.date}"


class ClientBankOutflow(models.Model):
    """Money a client sent to one other bank on `date` (where money goes when a client leaves)."""

    date = models.DateField(_("date"))
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+",
        db_constraint=False, db_index=False,  # a snapshot: see the module docstring
    )  # fmt: skip
    bank_code = models.CharField(_("bank code"), max_length=12)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    amount = money(_("amount"))
    transfers = models.IntegerField(_("transfers"), default=0)

    class Meta:
        verbose_name = _("outflow to another bank")
        verbose_name_plural = _("outflows to other banks")
        ordering = ["customer", "-date", "-amount"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "date", "bank_code"], name="client_bank_outflow_unique"
            )
        ]
        indexes = [models.Index(fields=["date"], name="client_bank_out_date_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.date} {self.bank_code}"


class IndicatorWatermark(models.Model):
    """How far one indicator is filled: the latest business date computed and written."""

    indicator = models.CharField(_("indicator"), max_length=60, unique=True)
    through_date = models.DateField(_("filled through"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("indicator watermark")
        verbose_name_plural = _("indicator watermarks")
        ordering = ["indicator"]

    def __str__(self) -> str:
        return f"{self.indicator} → {self.through_date}"
