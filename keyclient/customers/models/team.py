"""A client's cross-functional service team (the primary RM is on `Customer.primary_rm`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.customers.choices import TeamRole


class ServiceTeamMember(models.Model):
    """A member of staff who serves one client besides the primary RM; they see that client too."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("client"), on_delete=models.CASCADE, related_name="service_team"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="+"
    )
    team_role = models.CharField(_("role in team"), max_length=30, choices=TeamRole.choices)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("service team member")
        verbose_name_plural = _("service team members")
        ordering = ["customer", "team_role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "member", "team_role"], name="service_team_member_unique"
            )
        ]
        indexes = [models.Index(fields=["member", "customer"], name="service_team_member_idx")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.team_role} of {self.customer_id}"
