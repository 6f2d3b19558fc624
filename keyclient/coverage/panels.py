"""The 360-page panel of who covers a client: the RMs and their credit split, an open change request
(approve / reject for a second person), the forms to change them, and the history."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from keyclient.core.panels import Panel
from keyclient.coverage.forms import ChangeRmForm, DecisionForm, ReleaseForm, SplitForm
from keyclient.coverage.models import AssignmentRequest
from keyclient.coverage.queries import coverage_of, history_of
from keyclient.security.roles import Action, may, may_approve
from keyclient.valuation.choices import OverrideStatus

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer

HISTORY_ROWS = 20


def coverage_panel(*, user: Viewer, customer: Any) -> Panel:
    """`customer` came through the page's scope door."""
    rows: list[Any] = list(coverage_of(customer.pk))
    if not rows and customer.primary_rm_id:  # set by the intake: the primary with all the credit
        rows = [{"rm": customer.primary_rm, "get_role_display": _("Primary RM"), "share": Decimal(100)}]
    open_request = (
        AssignmentRequest.objects.filter(customer_id=customer.pk, status=OverrideStatus.PENDING)
        .select_related("primary", "primary_before", "requested_by")
        .first()
    )
    can_change = may(user, Action.CHANGE) and open_request is None
    return Panel(
        key="coverage",
        title=str(_("Coverage")),
        template="coverage/panel.html",
        context={
            "customer": customer,
            "rows": rows,
            "history": list(history_of(customer.pk)[:HISTORY_ROWS]),
            "open_request": open_request,
            "can_decide": open_request is not None
            and may_approve(user)
            and open_request.requested_by_id != user.pk,
            "decision_form": DecisionForm(auto_id="id_coverage_decision_%s"),
            "change_form": ChangeRmForm(actor=user, auto_id="id_coverage_%s") if can_change else None,
            "split_form": SplitForm(auto_id="id_coverage_split_%s") if can_change and rows else None,
            "release_form": ReleaseForm(auto_id="id_coverage_release_%s") if can_change and rows else None,
        },
        wide=True,
    )
