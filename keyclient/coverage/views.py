"""Assignment screens under /coverage/: change a client's RM, credit split or release from the 360
panel, decide requests (one's own never), the approvals queue, and the client list's bulk action.

Thin views: the client or request comes through the scope door (out of scope: 404), the role is
checked (403), one verb of `coverage.services` writes; a refusal shows the form again with the
errors, nothing written."""

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

from keyclient.audit.actors import Staff, StaffRequest
from keyclient.core.pagination import capped_page
from keyclient.coverage import services
from keyclient.coverage.forms import BulkForm, ChangeRmForm, DecisionForm, ReleaseForm, SplitForm
from keyclient.coverage.models import AssignmentRequest
from keyclient.coverage.queries import pending_requests, requests_visible_to
from keyclient.customers.models import Customer
from keyclient.customers.scope import access_customer
from keyclient.security.roles import Action, may, may_approve

ANCHOR = "#coverage"
BULK_LIMIT = 1000  # clients per bulk action (the list shows a page at a time)


def _client_page(customer_id: int) -> str:
    return reverse("customers:detail", args=[customer_id]) + ANCHOR


def _form_page(request: HttpRequest, form: Any, *, customer: Any, title: str, action: str, **extra: Any) -> HttpResponse:  # fmt: skip
    context = {"customer": customer, "form": form, "title": title, "action": action, **extra}
    return render(request, "coverage/form.html", context, status=400 if form.errors else 200)


def _done(customer_id: int) -> HttpResponse:
    """Back to the client's panel: it shows the change, or the request waiting for approval."""
    return redirect(_client_page(customer_id))


@require_http_methods(["GET", "POST"])
def change_rm(request: StaffRequest, pk: int) -> HttpResponse:
    """Assign a primary RM (client without one) or reassign the client."""
    customer = access_customer(request.user, pk, Action.CHANGE)
    form = ChangeRmForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        verb = services.reassign if customer.primary_rm_id else services.assign
        try:
            verb(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _done(customer.pk)
    return _form_page(request, form, customer=customer, title=_("Change the primary RM"),
                      action=reverse("coverage:client-rm", args=[customer.pk]))  # fmt: skip


@require_http_methods(["GET", "POST"])
def change_split(request: StaffRequest, pk: int) -> HttpResponse:
    """Secondary RMs and the credit split."""
    from keyclient.org.models import User

    customer = access_customer(request.user, pk, Action.CHANGE)
    form = SplitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pairs = form.cleaned_data["split"]
        ids = dict(User.objects.filter(username__in=pairs).values_list("username", "pk"))
        unknown = sorted(set(pairs) - set(ids))
        try:
            if unknown:
                raise ValidationError(
                    {"split": [_("No such staff number: %(nos)s.") % {"nos": ", ".join(unknown)}]}
                )
            services.set_split(actor=request.user, customer=customer, reason=form.cleaned_data["reason"],
                                         split={ids[no]: share for no, share in pairs.items()})  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _done(customer.pk)
    return _form_page(request, form, customer=customer, title=_("Change the credit split"),
                      action=reverse("coverage:client-split", args=[customer.pk]))  # fmt: skip


@require_http_methods(["GET", "POST"])
def release(request: StaffRequest, pk: int) -> HttpResponse:
    """Take every RM off the client."""
    customer = access_customer(request.user, pk, Action.CHANGE)
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.release(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _done(customer.pk)
    return _form_page(request, form, customer=customer, title=_("Release the client's RMs"),
                      action=reverse("coverage:client-release", args=[customer.pk]))  # fmt: skip


def _request_in_scope(user: Staff, request_id: int) -> AssignmentRequest:
    found = requests_visible_to(user).filter(pk=request_id).first()
    if found is None:
        raise Http404(_("No such RM change request"))
    return found


def _decide(request: StaffRequest, request_id: int, *, approve: bool) -> HttpResponse:
    change = _request_in_scope(request.user, request_id)
    if not may_approve(request.user):
        raise PermissionDenied(_("Only team leads, branch heads and head office decide RM changes."))
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide(
                actor=request.user, request=change, approve=approve, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            target = request.POST.get("next", "")
            if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                return redirect(target)
            return redirect(_client_page(change.customer_id))
    name = "coverage:request-approve" if approve else "coverage:request-reject"
    return _form_page(request, form, customer=change.customer, change=change,
                      title=_("Approve the RM change") if approve else _("Reject the RM change"),
                      action=reverse(name, args=[change.pk]))  # fmt: skip


@require_POST
def request_approve(request: StaffRequest, request_id: int) -> HttpResponse:
    return _decide(request, request_id, approve=True)


@require_POST
def request_reject(request: StaffRequest, request_id: int) -> HttpResponse:
    return _decide(request, request_id, approve=False)


@require_GET
def approvals(request: StaffRequest) -> HttpResponse:
    """RM changes awaiting a decision on the clients in the approver's scope, the oldest first."""
    if not may_approve(request.user):
        raise PermissionDenied(_("Only team leads, branch heads and head office decide RM changes."))
    page = capped_page(pending_requests(request.user), request.GET.get("page"),
                       per_page=settings.KEYCLIENT_LIST_PAGE_SIZE)  # fmt: skip
    return render(request, "coverage/approvals.html", {"page": page})


@require_http_methods(["GET", "POST"])
def bulk(request: StaffRequest) -> HttpResponse:
    """The client list's bulk action: the chosen clients (through the door) to one RM, with a reason."""
    if not may(request.user, Action.CHANGE):
        raise PermissionDenied(_("Your role may not do this."))
    data = request.POST if request.method == "POST" else request.GET
    try:
        wanted = sorted({int(i) for i in data.getlist("ids")})[: BULK_LIMIT + 1]
    except ValueError:
        raise Http404(_("No such client")) from None
    chosen = Customer.objects.visible_to(request.user).filter(pk__in=wanted).select_related("primary_rm")
    clients = list(chosen.order_by("customer_no")[:BULK_LIMIT])
    if not clients:  # nothing chosen (or nothing in scope): back to the list to choose
        return redirect("customers:list")
    form = BulkForm(request.POST or None, actor=request.user, ids=[c.pk for c in clients])
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.bulk_assign(actor=request.user, ids=form.cleaned_data["ids"],
                                           rm=form.cleaned_data["rm"], reason=form.cleaned_data["reason"])  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
    context = {
        "form": form,
        "clients": clients,
        "outcome": outcome,
        "too_many": len(wanted) > BULK_LIMIT,
        "limit": BULK_LIMIT,
    }
    return render(request, "coverage/bulk.html", context, status=400 if form.errors else 200)
