"""Snapshots the pipeline writes: holdings per client and product, balances per client and month,
and transactions worth a person's attention.

`Holding` (millions of rows each intake), `BalanceSnapshot` (a million rows a month end) and
`SignificantTransaction` (tens of thousands a day) are written only by the intake and the pipeline, for
clients just read from the client master: like its own
snapshot tables (see `keyclient.pipeline.models`) their client key has no database constraint (a
lookup or trigger per row) and no index of its own (the client + date index serves it); deleting a
client still deletes their rows (Django applies the CASCADE). `BalanceSnapshot` and
`SignificantTransaction` have an index on their date, which the pipeline's replace-the-date delete
reads; the intake replaces holdings per client, by the unique key that leads with the client."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.products.choices import Direction, TransactionType
from keyclient.security.fields import EncryptedTextField


class Holding(models.Model):
    """What one client holds in one product account at a month end (the intake replaces the latest
    snapshot: millions of rows a load, so the client key has no per-row constraint either)."""

    as_of = models.DateField(_("as of"))
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="holdings",
        db_constraint=False, db_index=False,  # see the module docstring
    )  # fmt: skip
    product = models.ForeignKey(
        "products.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    account_no = EncryptedTextField(_("account number"))
    account_bidx = models.CharField(_("account number index"), max_length=32, editable=False)
    balance = models.DecimalField(_("balance"), max_digits=18, decimal_places=2)
    maturity_date = models.DateField(_("maturity"), null=True, blank=True)

    class Meta:
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        ordering = ["customer", "-as_of", "-balance"]
        constraints = [
            models.UniqueConstraint(
                # the blind index: the encrypted number differs at every encryption
                fields=["customer", "as_of", "account_bidx"],
                name="holding_unique_per_month",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.product_id} {self.as_of}"


class BalanceSnapshot(models.Model):
    """A client's balances for one month: month-end and monthly average daily balance (MADB)."""

    as_of = models.DateField(_("month end"))
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE,
        related_name="balance_snapshots", db_constraint=False, db_index=False,  # see the module docstring
    )  # fmt: skip
    aum = models.DecimalField(_("AUM at month end"), max_digits=18, decimal_places=2)
    aum_madb = models.DecimalField(_("AUM monthly average"), max_digits=18, decimal_places=2)
    deposit = models.DecimalField(_("deposits"), max_digits=18, decimal_places=2)
    investment = models.DecimalField(_("investments"), max_digits=18, decimal_places=2)
    loan = models.DecimalField(_("loans"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("balance snapshot")
        verbose_name_plural = _("balance snapshots")
        ordering = ["customer", "as_of"]
        constraints = [models.UniqueConstraint(fields=["customer", "as_of"], name="balance_snapshot_unique")]
        indexes = [models.Index(fields=["as_of"], name="balance_snapshot_as_of_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.as_of}"


class SignificantTransaction(models.Model):
    """A transaction over the significance threshold, or money leaving for another bank."""

    txn_id = models.BigIntegerField(_("transaction id"), unique=True)
    date = models.DateField(_("date"))
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE,
        related_name="significant_transactions", db_constraint=False, db_index=False,  # see the module docstring
    )  # fmt: skip
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    direction = models.CharField(_("direction"), max_length=1, choices=Direction.choices)
    txn_type = models.CharField(_("type"), max_length=30, choices=TransactionType.choices)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    counterparty_bank_code = models.CharField(_("counterparty bank code"), max_length=12, blank=True)
    counterparty_bank_name = models.CharField(_("counterparty bank"), max_length=60, blank=True)
    counterparty_name = models.CharField(_("counterparty"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("significant transaction")
        verbose_name_plural = _("significant transactions")
        ordering = ["customer", "-date", "-amount"]
        indexes = [
            models.Index(fields=["customer", "-date"], name="sig_txn_customer_date_idx"),
            models.Index(fields=["date"], name="sig_txn_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.txn_id}"
