from django.db import models
from django.utils.translation import gettext_lazy as _


class CoverageRole(models.TextChoices):
    PRIMARY = "primary", _("Primary RM")
    SECONDARY = "secondary", _("Secondary RM")


class ChangeKind(models.TextChoices):
    """The verbs of `coverage.services`; each asks a declared approval rule (`coverage.rules`)."""

    ASSIGN = "assign", _("Assign")
    REASSIGN = "reassign", _("Reassign")
    RELEASE = "release", _("Release")
    SPLIT = "split", _("Change the credit split")
