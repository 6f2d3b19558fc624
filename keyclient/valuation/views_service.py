"""Service-level screens: a policy version's levels (edited in a draft by head office, read-only once
published) and a client's grant of another tier's level (head office, from the client's page). Every
write goes through `valuation.service_grants`; clients are reached through the data-scope door."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keyclient.audit.actors import StaffRequest
from keyclient.customers.scope import access_customer, scoped_to_customers
from keyclient.security.roles import Action, may_edit_tier_policy
from keyclient.valuation.choices import PolicyStatus
from keyclient.valuation.forms_service import (
    COLUMNS,
    GrantEndForm,
    GrantForm,
    ServiceLevelsForm,
    readable_levels,
)
from keyclient.valuation.models import ServiceLevelGrant, TierPolicy
from keyclient.valuation.policy import PolicyError
from keyclient.valuation.service_grants import (
    end_service_level_grant,
    grant_service_level,
    save_service_levels,
)
from keyclient.valuation.service_levels import declared_levels, levels_of


@require_http_methods(["GET", "POST"])
def policy_service_levels(request: StaffRequest, version: int) -> HttpResponse:
    """A version's service levels: a form for a draft; a table for a published or retired version
    (a POST to it is refused with 409 and changes nothing)."""
    if not may_edit_tier_policy(request.user):
        raise PermissionDenied(_("Only head office and administrators edit the tier policy."))
    policy = TierPolicy.objects.filter(version=version).first()
    if policy is None:
        raise Http404(_("No such policy version"))
    levels = declared_levels(policy.rules)
    context = {
        "policy": policy,
        "columns": [label for _k, label in COLUMNS],
        "rows": readable_levels(levels_of(policy.rules)),
    }
    if policy.status != PolicyStatus.DRAFT:
        return render(
            request, "valuation/service_levels.html", context, status=409 if request.method == "POST" else 200
        )
    form = ServiceLevelsForm(request.POST or None, levels=levels)
    if request.method == "POST" and form.is_valid():
        try:
            save_service_levels(actor=request.user, policy=policy, levels=form.levels())
        except PolicyError as exc:
            form.add_policy_errors(exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("valuation:policy-service-levels", version=policy.version)
    context["form"] = form
    return render(request, "valuation/service_levels.html", context, status=400 if form.errors else 200)


def _add_errors(form: GrantForm, exc: ValidationError) -> None:
    """A service's errors on the field they name (on the form when it names none)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def _back(pk: int) -> str:
    return reverse("customers:detail", args=[pk]) + "#service-level"


@require_POST
def client_grant(request: StaffRequest, pk: int) -> HttpResponse:
    """Serve the client at another tier's level (head office; a reason of 10 characters at least)."""
    customer = access_customer(request.user, pk, Action.CHANGE)
    form = GrantForm(request.POST, kind=customer.kind)
    if form.is_valid():
        try:
            grant_service_level(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect(_back(customer.pk))
    context = {"customer": customer, "form": form, "title": _("Grant a service level"), "submit": _("Grant"),
               "action": request.path}  # fmt: skip
    return render(request, "valuation/client_form.html", context, status=400)


@require_POST
def grant_end(request: StaffRequest, grant_id: int) -> HttpResponse:
    """End a grant in force (head office, with a reason); out of scope is 404."""
    grant = scoped_to_customers(ServiceLevelGrant.objects.all(), request.user).filter(pk=grant_id).first()
    if grant is None:
        raise Http404(_("No such service level grant"))
    customer = access_customer(request.user, grant.customer_id, Action.CHANGE)
    form = GrantEndForm(request.POST)
    if form.is_valid():
        try:
            end_service_level_grant(actor=request.user, grant=grant, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return redirect(_back(customer.pk))
    context = {"customer": customer, "form": form, "title": _("End the service level grant"), "submit": _("End"),
               "action": request.path}  # fmt: skip
    return render(request, "valuation/client_form.html", context, status=400)
