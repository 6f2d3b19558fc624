"""The 360-page panel of a client's value and tier (客户价值与等级): the value score and its four
indicators against last month, CLV, the tier standing and history, manual tier decisions and
prominence facts. Five queries (four before the first month-end run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from keyclient.core.panels import Panel, shows
from keyclient.security.field_classes import FieldClass
from keyclient.security.roles import Action, may, may_approve
from keyclient.valuation.choices import OverrideStatus
from keyclient.valuation.forms_client import DecisionForm, EndForm, ProminenceForm, TierRequestForm
from keyclient.valuation.queries import active_facts, client_requests, open_request_of, value_breakdown

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer

INDICATOR_LABELS = {
    "contribution": pgettext_lazy("value indicator", "Contribution"),
    "risk": pgettext_lazy("value indicator", "Risk"),
    "prominence": pgettext_lazy("value indicator", "Prominence"),
    "relatedness": pgettext_lazy("value indicator", "Relatedness"),
}
BAR_LABELS = {
    "min_aum": _("weighted monthly average AUM"),
    "min_contribution": _("contribution, 12 months"),
    "min_deposit": _("monthly average deposits"),
    "min_loan": _("monthly average loans"),
    "min_value_score": _("value score"),
}


@shows(FieldClass.VALUE)
def value_panel(*, user: Viewer, customer: Any) -> Panel:
    requests = client_requests(customer)
    open_request = open_request_of(requests)
    breakdown = value_breakdown(customer, open_request)
    can_change = may(user, Action.CHANGE)
    # A pending request is decided by an approver in scope (the page's door checked the scope) who did
    # not make it; the services check the same again on the way in.
    can_decide = (
        open_request is not None
        and open_request.status == OverrideStatus.PENDING
        and may_approve(user)
        and open_request.requested_by_id != user.pk
    )
    bar = breakdown.standing.bar
    may_request = can_change and open_request is None  # one open request per client at a time
    return Panel(
        key="value",
        title=str(_("Client value and tier")),
        template="valuation/client_panel.html",
        context={
            "customer": customer,
            "b": breakdown,
            "standing": breakdown.standing,
            "rows": [{"part": p, "label": INDICATOR_LABELS[p.key]} for p in breakdown.parts],
            "bar_rows": [(BAR_LABELS[key], amount, key != "min_value_score") for key, amount in bar.items()],
            "open_request": open_request,
            "past_requests": [r for r in requests if r is not open_request],
            "facts": active_facts(customer),
            "can_change": can_change,
            "can_decide": can_decide,
            "is_approver": may_approve(user),
            "request_form": TierRequestForm(customer=customer) if may_request else None,
            "decision_form": DecisionForm(),
            "end_form": EndForm(),
            "prominence_form": ProminenceForm() if can_change else None,
        },
        wide=True,
    )
