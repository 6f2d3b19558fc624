from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrgLevel(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office")
    BRANCH = "branch", _("Branch")
    SUB_BRANCH = "sub_branch", _("Sub-branch")
    OUTLET = "outlet", _("Outlet")


class UnitStatus(models.TextChoices):
    """An org unit is closed, never deleted: its staff, clients and history keep pointing at it."""

    ACTIVE = "active", _("Active")
    CLOSED = "closed", pgettext_lazy("org unit", "Closed")


class StaffGrade(models.TextChoices):
    """A staff member's grade (职级), read by capacity norms per tier and grade."""

    JUNIOR = "junior", _("Junior")
    INTERMEDIATE = "intermediate", _("Intermediate")
    SENIOR = "senior", _("Senior")
    PRINCIPAL = "principal", _("Principal")


class StaffStatus(models.TextChoices):
    """The HR extract's status of a staff member: a leaver's login is deactivated, never deleted."""

    ACTIVE = "active", pgettext_lazy("staff", "Active")
    LEFT = "left", pgettext_lazy("staff", "Left")
