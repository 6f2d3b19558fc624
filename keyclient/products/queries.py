"""Reads of holdings and balances for one client, shared by the 360 panels and the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Max, QuerySet, Subquery

from keyclient.products.choices import AUM_CATEGORIES, ProductCategory
from keyclient.products.models import BalanceSnapshot, Holding, SignificantTransaction


def latest_holdings(customer: Any) -> QuerySet[Holding]:
    """The client's holdings at their latest month end."""
    latest = (
        Holding.objects.filter(customer=customer)
        .order_by()
        .values("customer")
        .annotate(d=Max("as_of"))
        .values("d")
    )
    return (
        Holding.objects.filter(customer=customer, as_of=Subquery(latest))
        .select_related("product")
        .order_by("-balance", "id")
    )


def aum_composition(holdings: list[Holding]) -> list[dict[str, Any]]:
    """AUM by product category with each category's share, largest first (loans and cards excluded)."""
    totals: dict[str, Decimal] = {}
    for holding in holdings:
        if holding.product.category in AUM_CATEGORIES:  # an overdraft is a loan, not negative AUM
            totals[holding.product.category] = totals.get(holding.product.category, Decimal(0)) + max(
                holding.balance, Decimal(0)
            )
    grand = sum(totals.values(), Decimal(0))
    labels = dict(ProductCategory.choices)
    return [
        {"category": c, "label": labels[c], "amount": a, "share": (a / grand) if grand else Decimal(0)}
        for c, a in sorted(totals.items(), key=lambda item: -item[1])
    ]


def balance_history(customer: Any, months: int = 12) -> list[BalanceSnapshot]:
    """The last `months` monthly balance snapshots, oldest first."""
    rows = list(BalanceSnapshot.objects.filter(customer=customer).order_by("-as_of")[:months])
    return rows[::-1]


def recent_significant_transactions(customer: Any, limit: int = 10) -> QuerySet[SignificantTransaction]:
    return SignificantTransaction.objects.filter(customer=customer).order_by("-date", "-amount")[:limit]


def loan_total(holdings: list[Holding]) -> Decimal:
    return sum((h.balance for h in holdings if h.product.category == ProductCategory.LOAN), Decimal(0))


def overdraft_total(holdings: list[Holding]) -> Decimal:
    """What the client owes on overdrawn deposit accounts (a negative balance), as a positive amount."""
    return sum((-h.balance for h in holdings if h.balance < 0), Decimal(0))
