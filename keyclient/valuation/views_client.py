"""Client-facing tier screens: manual tier decisions (request, approve / reject, end) made from the
client's 360 panel, the approvals queue, and prominence facts.

Every view is thin: it fetches the client or request through the scope door (out of scope: 404),
checks the role (403), calls one verb of `valuation.services`, and redirects. When the verb refuses
the input, the form is shown again on a page of its own, the errors next to the fields, and nothing
has been written.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyclient.core.pagination import capped_page
from keyclient.customers.scope import access_customer, scoped_to_customers
from keyclient.security.roles import Action, may, may_approve
from keyclient.valuation.choices import OverrideStatus
from keyclient.valuation.forms_client import DecisionForm, EndForm, ProminenceForm, TierRequestForm
from keyclient.valuation.models import ProminenceFact, TierOverride
from keyclient.valuation.queries import pending_requests, requests_visible_to
from keyclient.valuation.services import (
    decide_override,
    end_override,
    record_prominence,
    request_override,
    withdraw_prominence,
)

PANEL_ANCHOR = "#tier-decisions"


def _client_page(customer_id: int) -> str:
    return reverse("customers:detail", args=[customer_id]) + PANEL_ANCHOR


def _back(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Where the form came from (the approvals queue, say) if that is a page of this site, else the
    client's page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(_client_page(customer_id))


def _form_page(
    request: HttpRequest, form: Any, *, customer: Any, title: str, action: str, submit: str, **extra: Any
) -> HttpResponse:
    context = {"customer": customer, "form": form, "title": title, "action": action, "submit": submit}
    context.update(extra)
    return render(request, "valuation/client_form.html", context, status=400 if form.errors else 200)


def _request_in_scope(request: HttpRequest, override_id: int) -> TierOverride:
    """The tier request if its client is in the user's scope, else 404 (never a hint that it exists)."""
    override = requests_visible_to(request.user).filter(pk=override_id).first()
    if override is None:
        raise Http404(_("No such tier request"))
    return override


# --- manual tier decisions -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for an override to a tier, or for disqualification, with a reason."""
    customer = access_customer(request.user, pk, Action.CHANGE)
    form = TierRequestForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            request_override(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(_client_page(customer.pk))
    return _form_page(
        request,
        form,
        customer=customer,
        title=_("Request a tier decision"),
        action=reverse("valuation:client-request", args=[customer.pk]),
        submit=_("Send for approval"),
    )


def _decide(request: HttpRequest, override_id: int, *, approve: bool) -> HttpResponse:
    override = _request_in_scope(request, override_id)
    if not may_approve(request.user):
        raise PermissionDenied(_("Only team leads, branch heads and head office decide tier requests."))
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decide_override(
                actor=request.user, override=override, approve=approve, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _back(request, override.customer_id)
    name = "valuation:request-approve" if approve else "valuation:request-reject"
    return _form_page(
        request,
        form,
        customer=override.customer,
        title=_("Approve the tier request") if approve else _("Reject the tier request"),
        action=reverse(name, args=[override.pk]),
        submit=_("Approve") if approve else _("Reject"),
        override=override,
        next=request.POST.get("next", ""),
    )


@require_POST
def request_approve(request: HttpRequest, override_id: int) -> HttpResponse:
    """A second person approves: the client's tier changes at once."""
    return _decide(request, override_id, approve=True)


@require_POST
def request_reject(request: HttpRequest, override_id: int) -> HttpResponse:
    """A second person rejects, saying why."""
    return _decide(request, override_id, approve=False)


@require_POST
def request_end(request: HttpRequest, override_id: int) -> HttpResponse:
    """Withdraw a pending request or end an approved one (the rules decide the tier again)."""
    override = _request_in_scope(request, override_id)
    if not may(request.user, Action.CHANGE):
        raise PermissionDenied(_("Your role may not do this."))
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            end_override(actor=request.user, override=override, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _back(request, override.customer_id)
    approved = override.status == OverrideStatus.APPROVED
    return _form_page(
        request,
        form,
        customer=override.customer,
        title=_("End the tier decision") if approved else _("Withdraw the tier request"),
        action=reverse("valuation:request-end", args=[override.pk]),
        submit=_("End") if approved else _("Withdraw"),
        override=override,
        next=request.POST.get("next", ""),
    )


@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    """Tier requests awaiting a decision on the clients in the approver's scope, the oldest first."""
    if not may_approve(request.user):
        raise PermissionDenied(_("Only team leads, branch heads and head office decide tier requests."))
    page = capped_page(
        pending_requests(request.user), request.GET.get("page"), per_page=settings.KEYCLIENT_LIST_PAGE_SIZE
    )
    return render(request, "valuation/approvals.html", {"page": page})


# --- prominence facts ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def prominence_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Note a fact about the client's public standing, with its evidence."""
    customer = access_customer(request.user, pk, Action.CHANGE)
    form = ProminenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record_prominence(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(_client_page(customer.pk))
    return _form_page(
        request,
        form,
        customer=customer,
        title=_("Add a prominence fact"),
        action=reverse("valuation:client-prominence", args=[customer.pk]),
        submit=_("Save"),
    )


@require_POST
def prominence_withdraw(request: HttpRequest, fact_id: int) -> HttpResponse:
    """Withdraw a prominence fact: it stops scoring from the next month-end run."""
    facts = scoped_to_customers(ProminenceFact.objects.select_related("customer"), request.user)
    fact = facts.filter(pk=fact_id).first()
    if fact is None:
        raise Http404(_("No such prominence fact"))
    if not may(request.user, Action.CHANGE):
        raise PermissionDenied(_("Your role may not do this."))
    withdraw_prominence(actor=request.user, fact=fact)
    return redirect(_client_page(fact.customer_id))
