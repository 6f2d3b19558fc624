"""Staff users: one position (org unit, role, team) each."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyclient.org.choices import StaffGrade
from keyclient.org.models.units import OrgUnit, Team
from keyclient.security.roles import (
    Action,
    Role,
    may,
    may_approve,
    may_edit_tier_policy,
    may_manage_org,
    may_reset_two_factor,
    may_review_audit,
    may_view_coverage,
    may_view_intake,
)


class User(AbstractUser):
    """A member of staff. `username` is the staff number; `display_name` the name shown in the UI."""

    display_name = models.CharField(_("name"), max_length=60, blank=True)
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.RELATIONSHIP_MANAGER)
    grade = models.CharField(_("grade"), max_length=20, choices=StaffGrade.choices, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["username"]

    def __str__(self) -> str:
        return f"{self.display_name or self.username} ({self.username})"

    @property
    def may_review_audit(self) -> bool:
        return may_review_audit(self)

    @property
    def may_view_clients(self) -> bool:
        return may(self, Action.VIEW)

    @property
    def may_edit_tier_policy(self) -> bool:
        return may_edit_tier_policy(self)

    @property
    def may_approve(self) -> bool:
        return may_approve(self)

    @property
    def may_reset_two_factor(self) -> bool:
        return may_reset_two_factor(self)

    @property
    def may_view_intake(self) -> bool:
        return may_view_intake(self)

    @property
    def may_view_coverage(self) -> bool:
        return may_view_coverage(self)

    def may_manage_org(self) -> bool:
        return may_manage_org(self)
