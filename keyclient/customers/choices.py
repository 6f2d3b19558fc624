from django.db import models
from django.utils.translation import gettext_lazy as _

# The longest tag name, in characters (a tag may be any text): `Tag.name`, the intake's tags, the tier policy.
TAG_MAX_LENGTH = 300


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    CORPORATE = "corporate", _("Corporate")
    # A long-term partner institution (同业/机构客户): another bank, an insurer, a fund house…
    INSTITUTION = "institution", _("Institution")


# The kinds tiered and scored by the tier policy's corporate rules (docs/valuation.md): institutions
# have no rules of their own, they are valued like corporates.
CORPORATE_RULE_KINDS = (CustomerKind.CORPORATE.value, CustomerKind.INSTITUTION.value)


def rule_kind(kind: str) -> str:
    """The tier policy's set of rules (`individual` or `corporate`) that values a client of `kind`."""
    return CustomerKind.CORPORATE.value if kind in CORPORATE_RULE_KINDS else CustomerKind.INDIVIDUAL.value


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    CLOSED = "closed", _("Closed")


class IdType(models.TextChoices):
    """Identity documents. A client may have none on file (`""`): nothing is ever made up."""

    RESIDENT_ID = "resident_id", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    FOREIGN_PASSPORT = "foreign_passport", _("Foreign passport")
    HK_MACAU_PERMIT = "hk_macau_permit", _("Mainland travel permit for Hong Kong and Macau residents")
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
    FOREIGN_PR_CARD = "foreign_pr_card", _("Foreign permanent resident ID card")
    OTHER_PERSONAL = "other_personal", _("Other personal ID")
    USCC = "uscc", _("Unified social credit code")
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    FOREIGN_REGISTRATION = "foreign_registration", _("Foreign registration certificate")
    OTHER_ORGANISATION = "other_organisation", _("Other organisation ID")


# What a client page, list, search result, export or API shows for a name or ID not on file.
NOT_ON_FILE = _("not on file")


class RiskTolerance(models.TextChoices):
    C1 = "C1", _("C1 conservative")
    C2 = "C2", _("C2 cautious")
    C3 = "C3", _("C3 balanced")
    C4 = "C4", _("C4 growth")
    C5 = "C5", _("C5 aggressive")


class Tier(models.TextChoices):
    """Current tier. Individuals by monthly average AUM; corporates by strategic level."""

    MASS = "mass", _("Mass")
    GOLD = "gold", _("Gold")
    PLATINUM = "platinum", _("Platinum")
    DIAMOND = "diamond", _("Diamond")
    PRIVATE_BANKING = "private_banking", _("Private banking")
    CORPORATE_GENERAL = "corporate_general", _("Corporate")
    STRATEGIC_SUB_BRANCH = "strategic_sub_branch", _("Strategic (sub-branch)")
    STRATEGIC_BRANCH = "strategic_branch", _("Strategic (branch)")
    STRATEGIC_HEAD_OFFICE = "strategic_head_office", _("Strategic (head office)")


class ContactKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    ADDRESS = "address", _("Address")


class TeamRole(models.TextChoices):
    """Roles in a client's cross-functional service team."""

    RELATIONSHIP_MANAGER = "relationship_manager", _("Relationship manager")
    ASSISTANT_RM = "assistant_rm", _("Assistant RM")
    INVESTMENT_ADVISOR = "investment_advisor", _("Investment advisor")
    CREDIT_OFFICER = "credit_officer", _("Credit officer")
    PRODUCT_SPECIALIST = "product_specialist", _("Product specialist")
    LEGAL_TAX = "legal_tax", _("Legal / tax specialist")
    OPERATIONS = "operations", _("Operations")
    SENIOR_SPONSOR = "senior_sponsor", _("Senior sponsor")
