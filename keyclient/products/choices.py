from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductCategory(models.TextChoices):
    DEPOSIT = "deposit", _("Demand deposit")
    TIME_DEPOSIT = "time_deposit", _("Time deposit")
    WMP = "wmp", _("Wealth-management product")
    FUND = "fund", _("Fund")
    INSURANCE = "insurance", _("Insurance")
    PRECIOUS_METAL = "precious_metal", _("Precious metal")
    LOAN = "loan", _("Loan")
    CREDIT_CARD = "credit_card", _("Credit card")


# Categories that count toward assets under management, grouped as the balance snapshot groups them.
DEPOSIT_CATEGORIES = (ProductCategory.DEPOSIT, ProductCategory.TIME_DEPOSIT)
INVESTMENT_CATEGORIES = (
    ProductCategory.WMP,
    ProductCategory.FUND,
    ProductCategory.INSURANCE,
    ProductCategory.PRECIOUS_METAL,
)
AUM_CATEGORIES = DEPOSIT_CATEGORIES + INVESTMENT_CATEGORIES


class RiskRating(models.TextChoices):
    R1 = "R1", _("R1 low")
    R2 = "R2", _("R2 medium-low")
    R3 = "R3", _("R3 medium")
    R4 = "R4", _("R4 medium-high")
    R5 = "R5", _("R5 high")


class Direction(models.TextChoices):
    CREDIT = "C", _("In")
    DEBIT = "D", _("Out")


class TransactionType(models.TextChoices):
    SALARY = "salary", _("Salary")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    CARD_SPEND = "card_spend", _("Card spending")
    PRODUCT_PURCHASE = "product_purchase", _("Product purchase")
    PRODUCT_REDEMPTION = "product_redemption", _("Product redemption")
    MATURITY = "maturity", _("Maturity")
    LOAN_DRAWDOWN = "loan_drawdown", _("Loan drawdown")
    LOAN_REPAYMENT = "loan_repayment", _("Loan repayment")
    FEE = "fee", _("Fee")
    INTEREST = "interest", _("Interest")
