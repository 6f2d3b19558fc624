from django.db import models
from django.utils.translation import gettext_lazy as _


class NormsStatus(models.TextChoices):
    """A version of the capacity norms: drafted, then published (the one in force), then retired."""

    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Load(models.TextChoices):
    """Where an RM's book stands against the norms of the RM's grade."""

    OVER = "over", _("Overloaded")
    UNDER = "under", _("Underloaded")
    WITHIN = "within", _("Within the norm")
