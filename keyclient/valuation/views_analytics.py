"""Tier analytics pages: the month's tier migration and the Pareto concentration, for every role that
sees client data, always within the user's scope (`valuation.analytics`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from keyclient.security.roles import Action, may
from keyclient.valuation import analytics
from keyclient.valuation.forms import MigrationFilterForm, ParetoFilterForm


def _require_viewer(request: HttpRequest) -> None:
    if not may(request.user, Action.VIEW):
        raise PermissionDenied(_("Your role sees no client data."))


@require_GET
def migration(request: HttpRequest) -> HttpResponse:
    """From tier × to tier at one month end (`?month=YYYY-MM&unit=<org unit id>`)."""
    _require_viewer(request)
    months = analytics.migration_months()
    form = MigrationFilterForm(request.GET, user=request.user, months=months)
    result = None
    if form.is_valid() and form.cleaned_data["month"] is not None:
        result = analytics.migration(
            request.user, as_of=form.cleaned_data["month"], unit=form.cleaned_data["unit"]
        )
    status = 400 if form.errors else 200
    return render(request, "valuation/migration.html", {"form": form, "result": result}, status=status)


@require_GET
def pareto(request: HttpRequest) -> HttpResponse:
    """Shares held by the top 1/5/10/20% of clients and Lorenz curves (`?unit=&segment=`), over the
    active clients with a positive AUM unless `all_balances` / `all_statuses` include the rest."""
    _require_viewer(request)
    form = ParetoFilterForm(request.GET, user=request.user)
    result = None
    if form.is_valid():
        result = analytics.pareto(
            request.user,
            unit=form.cleaned_data["unit"],
            segment=form.cleaned_data["segment"],
            all_balances=form.cleaned_data["all_balances"],
            all_statuses=form.cleaned_data["all_statuses"],
        )
    status = 400 if form.errors else 200
    context = {"form": form, "result": result, "top_percents": analytics.TOP_PERCENTS}
    return render(request, "valuation/pareto.html", context, status=status)
