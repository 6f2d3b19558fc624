"""The 360-page panels that show holdings, balances and significant transactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from keyclient.core.charts import line_chart
from keyclient.core.panels import Panel, shows
from keyclient.products.choices import ProductCategory
from keyclient.products.queries import (
    aum_composition,
    balance_history,
    latest_holdings,
    loan_total,
    overdraft_total,
    recent_significant_transactions,
)
from keyclient.security.field_classes import FieldClass

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer


@shows(FieldClass.WEALTH)
def aum_panel(*, user: Viewer, customer: Any) -> Panel:
    holdings = list(latest_holdings(customer))
    composition = aum_composition(holdings)
    return Panel(
        key="aum",
        title=str(_("AUM and composition")),
        template="products/panels/aum.html",
        context={
            "customer": customer,
            "composition": composition,
            "as_of": holdings[0].as_of if holdings else None,
            "aum_total": sum((c["amount"] for c in composition), 0),
            "loans": loan_total(holdings),
            "overdraft": overdraft_total(holdings),
        },
    )


@shows(FieldClass.WEALTH)
def trend_panel(*, user: Viewer, customer: Any) -> Panel:
    history = balance_history(customer)
    chart = line_chart([s.as_of.strftime("%Y-%m") for s in history], [s.aum_madb for s in history])
    return Panel(
        key="trend",
        title=str(_("12-month AUM trend (monthly average)")),
        template="products/panels/trend.html",
        context={"chart": chart, "history": history},
        wide=True,
    )


@shows(FieldClass.WEALTH)
def holdings_panel(*, user: Viewer, customer: Any) -> Panel:
    return Panel(
        key="holdings",
        title=str(_("Holdings")),
        template="products/panels/holdings.html",
        context={"holdings": list(latest_holdings(customer))},
        wide=True,
    )


@shows(FieldClass.WEALTH)
def transactions_panel(*, user: Viewer, customer: Any) -> Panel:
    return Panel(
        key="transactions",
        title=str(_("Recent significant transactions")),
        template="products/panels/transactions.html",
        context={"transactions": list(recent_significant_transactions(customer))},
        wide=True,
    )


@shows(FieldClass.CREDIT)
def credit_panel(*, user: Viewer, customer: Any) -> Panel:
    """Loans (and, once an extract carries them, limits): what a credit officer in the team sees."""
    loans = [h for h in latest_holdings(customer) if h.product.category == ProductCategory.LOAN]
    return Panel(
        key="credit",
        title=str(_("Loans and limits")),
        template="products/panels/credit.html",
        context={"loans": loans, "total": loan_total(loans)},
    )
