from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class TierState(models.TextChoices):
    """Where a client stands in the tier lifecycle at a month end."""

    ACTIVE = "active", _("Qualifies")
    WATCH = "watch", _("Watch (below the bar)")
    OVERRIDE = "override", _("Manual override")
    DISQUALIFIED = "disqualified", _("Disqualified")


class OverrideKind(models.TextChoices):
    OVERRIDE = "override", _("Override to a tier")
    DISQUALIFY = "disqualify", _("Disqualify")


class OverrideStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("tier request", "Rejected")  # not the intake's rejected rows
    ENDED = "ended", _("Ended")


class ProminenceKind(models.TextChoices):
    PUBLIC_OFFICE = "public_office", _("Public office (deputy, CPPCC member, official)")
    LISTED_EXECUTIVE = "listed_executive", _("Executive or major shareholder of a listed company")
    INDUSTRY_LEADER = "industry_leader", _("Industry leader")
    MEDIA = "media", _("Media presence")
    OTHER = "other", _("Other public standing")


class LoanClass(models.TextChoices):
    """The five-category loan classification (五级分类)."""

    NORMAL = "正常", _("Normal")
    SPECIAL_MENTION = "关注", _("Special mention")
    SUBSTANDARD = "次级", _("Substandard")
    DOUBTFUL = "可疑", _("Doubtful")
    LOSS = "损失", _("Loss")


class Benefit(models.TextChoices):
    """What a service level grants besides people and cadence (see `valuation.service_levels`)."""

    FEE_WAIVER = "fee_waiver", _("Fee waivers")
    PRIORITY_LANE = "priority_lane", _("Priority lane in branches")
    LOUNGE = "lounge", _("VIP lounge")
    EVENTS = "events", _("Client events")


# What a value score shows for a client's loans whose class (or overdue days) the bank did not send:
# unknown, never normal. Not a class of the policy (it scores nothing of its own).
LOAN_CLASS_UNKNOWN = "未知"
