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


class LinkRole(models.TextChoices):
    """The usual roles on a link ("from is <role> of to"). The role column stays free text, because a
    bank's extracts may carry others; those are shown as they are."""

    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    CHAIRMAN = "chairman", _("Chairman")
    GENERAL_MANAGER = "general_manager", _("General manager")
    CFO = "cfo", _("Chief financial officer")
    DIRECTOR = "director", _("Director")
    CONTROLLING_SHAREHOLDER = "controlling_shareholder", _("Controlling shareholder")
    SHAREHOLDER = "shareholder", _("Shareholder")
    EMPLOYEE = "employee", _("Employee")
    BUYER = "buyer", _("Buyer")


def role_label(role: str) -> str:
    """The label of a link role: `controlling_shareholder` → 控股股东; an undeclared role as it is."""
    return str(dict(LinkRole.choices).get(role, role))
