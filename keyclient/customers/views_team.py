"""A client's service team on the 360 page: add, remove and change the role of members (team
leads, branch heads and head office, for clients in their scope). Thin: the verbs are in
`keyclient.customers.teams`; the service-level panel beside the team shows the shortfall after an edit."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keyclient.audit.actors import StaffRequest
from keyclient.customers.forms import TeamMemberForm, TeamRoleForm
from keyclient.customers.models import Customer, ServiceTeamMember
from keyclient.customers.scope import access_customer
from keyclient.customers.teams import add_team_member, change_team_role, remove_team_member
from keyclient.security.roles import Action, may_edit_service_team


def team_customer(request: StaffRequest, pk: int) -> Customer:
    """The client, through the door (404 outside the scope), if the user may edit its team (else 403)."""
    customer = access_customer(request.user, pk, Action.VIEW)
    if not may_edit_service_team(request.user):
        raise PermissionDenied(_("Only team leads, branch heads and head office edit service teams."))
    return customer


def team_row(customer: Customer, row_id: int) -> ServiceTeamMember:
    row = ServiceTeamMember.objects.filter(customer=customer, pk=row_id).select_related("member").first()
    if row is None:
        raise Http404("No such team member")
    return row


def _back(customer: Customer) -> HttpResponse:
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#team")


def _with_errors(form: TeamMemberForm | TeamRoleForm, exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


@require_http_methods(["GET", "POST"])
def team_add(request: StaffRequest, pk: int) -> HttpResponse:
    customer = team_customer(request, pk)
    form = TeamMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            add_team_member(
                actor=request.user,
                customer=customer,
                member=form.cleaned_data["staff_no"],
                team_role=form.cleaned_data["team_role"],
            )
            return _back(customer)
        except ValidationError as exc:
            _with_errors(form, exc)
    context = {"customer": customer, "form": form}
    return render(request, "customers/team_form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def team_edit(request: StaffRequest, pk: int, row_id: int) -> HttpResponse:
    customer = team_customer(request, pk)
    row = team_row(customer, row_id)
    form = TeamRoleForm(request.POST or None, initial={"team_role": row.team_role})
    if request.method == "POST" and form.is_valid():
        try:
            change_team_role(actor=request.user, row=row, team_role=form.cleaned_data["team_role"])
            return _back(customer)
        except ValidationError as exc:
            _with_errors(form, exc)
    context = {"customer": customer, "form": form, "row": row}
    return render(request, "customers/team_form.html", context, status=400 if form.errors else 200)


@require_POST
def team_remove(request: StaffRequest, pk: int, row_id: int) -> HttpResponse:
    customer = team_customer(request, pk)
    remove_team_member(actor=request.user, row=team_row(customer, row_id))
    return _back(customer)
