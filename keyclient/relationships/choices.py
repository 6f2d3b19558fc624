from django.db import models
from django.utils.translation import gettext_lazy as _


class LinkType(models.TextChoices):
    HOUSEHOLD = "household", _("Household member")
    GROUP_MEMBER = "group_member", _("Corporate group")
    EXECUTIVE = "executive", _("Executive")
    SHAREHOLDER = "shareholder", _("Shareholder")
    PAYROLL = "payroll", _("Payroll employer")
    SUPPLIER = "supplier", _("Supply chain")
    REFERRAL = "referral", _("Referral")


class LinkSource(models.TextChoices):
    CORE_BANKING = "core_banking", _("Core banking")
    RM_INPUT = "rm_input", _("RM input")
    PAYROLL_FILE = "payroll_file", _("Payroll file")
    BUSINESS_REGISTRY = "business_registry", _("Business registry")
