"""The product catalog and clients' accounts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.products.choices import ProductCategory, RiskRating
from keyclient.security.fields import EncryptedTextField


class Product(models.Model):
    """A product the bank sells, with its risk rating for suitability checks."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=ProductCategory.choices)
    risk_rating = models.CharField(_("risk rating"), max_length=2, choices=RiskRating.choices)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    term_days = models.PositiveIntegerField(_("term (days)"), null=True, blank=True)
    rate = models.DecimalField(_("rate / expected yield"), max_digits=8, decimal_places=5, default=0)
    fee_rate = models.DecimalField(_("fee rate"), max_digits=8, decimal_places=5, default=0)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["category", "code"]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """An account or contract of one client in one product."""

    account_no = EncryptedTextField(_("account number"))
    account_bidx = models.CharField(_("account number index"), max_length=32, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="accounts"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="accounts"
    )
    open_date = models.DateField(_("opened"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["customer", "id"]
        # A constraint rather than `unique=True`, which adds a pattern-matching index on PostgreSQL
        # that an exact blind index never uses.
        constraints = [models.UniqueConstraint(fields=["account_bidx"], name="account_bidx_unique")]

    def __str__(self) -> str:
        return f"account {self.pk}"
