"""The client's position: the monthly figures the lists rank on, beside the columns they filter on.

A month end replaces every client's AUM. Kept on the client master, that rewrote a wide row with 18
indexes per client (119 s of a 167 s month end at a million clients on PostgreSQL); kept here, the
month end builds a fresh narrow table and swaps it in (see `keyclient.customers.positions` and
docs/adr/0006-client-position-table.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.customers.choices import CustomerKind, CustomerStatus, Tier


class CustomerPosition(models.Model):
    """One row per client: AUM and tier, with copies of the client master's scope columns.

    `aum` / `aum_as_of` live only here (written by the pipeline at a month end). `tier`, `kind`,
    `status`, `home_org_unit` and `primary_rm` are copies of the client master's, kept in step by the
    client-master writer (`keyclient.customers.writer`) in the same statement batch, so that the client
    list filters, scopes and sorts on this one narrow table. Foreign keys carry no database constraint:
    the table is rebuilt and swapped in whole each month end, and the master's own keys are checked.
    """

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("client"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="position",
        db_constraint=False,
    )
    aum = models.DecimalField(_("AUM (monthly average)"), max_digits=18, decimal_places=2, default=0)
    aum_as_of = models.DateField(_("AUM as of"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=30, choices=Tier.choices, default=Tier.MASS)
    kind = models.CharField(_("kind"), max_length=12, choices=CustomerKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    home_org_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("home org unit"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    primary_rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("primary RM"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("client position")
        verbose_name_plural = _("client positions")
        ordering = ["-aum", "customer"]
        indexes = [
            # Covering (PostgreSQL): the list's filters and order come from the index alone.
            models.Index(
                fields=["-aum", "customer"],
                name="position_aum_idx",
                include=["home_org_unit", "primary_rm", "tier", "kind", "status"],
            ),
            models.Index(fields=["home_org_unit", "-aum", "customer"], name="position_unit_aum_idx"),
            models.Index(fields=["primary_rm", "-aum", "customer"], name="position_rm_aum_idx"),
            models.Index(
                fields=["tier", "-aum", "customer"],
                name="position_tier_aum_idx",
                include=["home_org_unit", "primary_rm", "kind", "status"],
            ),
            models.Index(fields=["status", "-aum", "customer"], name="position_status_aum_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.tier} {self.aum}"

    @classmethod
    def check(cls, **kwargs: Any) -> list[Any]:
        """Django's checks, without W040 ("SQLite does not support indexes with non-key columns"):
        the INCLUDE columns of the list's indexes are a PostgreSQL optimisation that SQLite rightly
        ignores (it uses the key columns alone), so the warning printed on every `migrate` said
        nothing to act on. Any other model's INCLUDE on SQLite still warns."""
        return [error for error in super().check(**kwargs) if error.id != "models.W040"]
