"""Typed, dated links between clients: households, groups, executives, payroll, supply chain, referrals."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.relationships.choices import LinkSource, LinkType, role_label


class CustomerLink(models.Model):
    """`from_customer` is linked to `to_customer` as `link_type` (with a `role`, e.g. spouse, chairman).

    Read it as "from is <role> of to": an executive link goes from the person to the company, a
    payroll link from the employee to the employer, a group link from the subsidiary to the parent.
    """

    from_customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("from client"),
        on_delete=models.CASCADE,
        related_name="links_out",
    )
    to_customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("to client"), on_delete=models.CASCADE, related_name="links_in"
    )
    link_type = models.CharField(_("link type"), max_length=20, choices=LinkType.choices)
    role = models.CharField(_("role"), max_length=30, blank=True)
    start_date = models.DateField(_("since"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=30, choices=LinkSource.choices)

    class Meta:
        verbose_name = _("client link")
        verbose_name_plural = _("client links")
        ordering = ["from_customer", "link_type", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_customer", "to_customer", "link_type"], name="customer_link_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_customer=models.F("to_customer")), name="customer_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_customer_id} {self.link_type} {self.to_customer_id}"

    def get_role_display(self) -> str:
        """The role's label (the role is free text: a declared `LinkRole` shows translated)."""
        return role_label(self.role)
