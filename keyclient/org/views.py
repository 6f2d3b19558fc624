"""The administrators' org screens: the unit tree with its teams, units, teams and staff. Thin: the
verbs are in `keyclient.org.services` and `keyclient.org.staff`; who may is `may_manage_org`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyclient.audit.actors import StaffRequest
from keyclient.core.pagination import capped_page
from keyclient.core.panels import build_panels
from keyclient.org import services
from keyclient.org import staff as staff_verbs
from keyclient.org.forms import (
    DeactivateForm,
    NewTeamForm,
    NewUnitForm,
    NewUserForm,
    TeamForm,
    UnitForm,
    UserFilterForm,
    UserForm,
)
from keyclient.org.hr import hr_fields_of, hr_managed_ids
from keyclient.org.models import OrgUnit, Team, User
from keyclient.security.roles import may_manage_org


def _admin(request: StaffRequest) -> None:
    if not may_manage_org(request.user):
        raise PermissionDenied(_("Only administrators maintain the organisation."))


def _errors_into(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _render(request: StaffRequest, template: str, context: dict[str, Any], form: Form) -> HttpResponse:
    return render(request, template, context, status=400 if form.is_bound and form.errors else 200)


@require_http_methods(["GET", "POST"])
def tree(request: StaffRequest) -> HttpResponse:
    """The unit tree with each unit's teams and head counts; forms to add a unit and a team."""
    _admin(request)
    unit_form = NewUnitForm(request.POST if "add_unit" in request.POST else None, prefix="unit")
    team_form = NewTeamForm(request.POST if "add_team" in request.POST else None, prefix="team")
    for form, verb in ((unit_form, services.add_org_unit), (team_form, services.add_team)):
        if form.is_bound and form.is_valid():
            try:
                made = verb(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, _("%(x)s added.") % {"x": made})
                return redirect("org:tree")
    units = list(
        OrgUnit.objects.annotate(active_staff=Count("staff", filter=Q(staff__is_active=True))).order_by(
            "path"
        )
    )
    teams: dict[int, list[Team]] = {}
    for team in Team.objects.annotate(size=Count("members", filter=Q(members__is_active=True))):
        teams.setdefault(team.org_unit_id, []).append(team)
    hr = hr_managed_ids(OrgUnit, [u.pk for u in units])
    rows = [{"unit": u, "teams": teams.get(u.pk, []), "hr": u.pk in hr} for u in units]
    context = {"rows": rows, "unit_form": unit_form, "team_form": team_form}
    bound = unit_form if unit_form.is_bound else team_form
    return _render(request, "org/tree.html", context, bound)


@require_http_methods(["GET", "POST"])
def unit_detail(request: StaffRequest, unit: int) -> HttpResponse:
    _admin(request)
    obj = get_object_or_404(OrgUnit, pk=unit)
    hr = hr_fields_of(obj)
    initial = {"name": obj.name, "province": obj.province, "city": obj.city}
    form = UnitForm(request.POST or None, initial=initial, hr_fields=hr)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_org_unit(actor=request.user, unit=obj, **form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("org:unit", unit=obj.pk)
    context = {"unit": obj, "form": form, "hr": bool(hr), "blockers": services.closing_blockers(obj)}
    return _render(request, "org/unit.html", context, form)


@require_POST
def unit_close(request: StaffRequest, unit: int) -> HttpResponse:
    _admin(request)
    obj = get_object_or_404(OrgUnit, pk=unit)
    try:
        services.close_org_unit(actor=request.user, unit=obj)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("org:unit", unit=obj.pk)
    messages.success(request, _("%(unit)s closed.") % {"unit": obj.name})
    return redirect("org:unit", unit=obj.pk)


@require_http_methods(["GET", "POST"])
def team_detail(request: StaffRequest, team: int) -> HttpResponse:
    _admin(request)
    obj = get_object_or_404(Team.objects.select_related("org_unit"), pk=team)
    form = TeamForm(request.POST or None, initial={"name": obj.name, "org_unit": obj.org_unit})
    if request.method == "POST" and form.is_valid():
        try:
            services.change_team(actor=request.user, team=obj, **form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("org:team", team=obj.pk)
    members = obj.members.order_by("-is_active", "username")
    return _render(request, "org/team.html", {"team": obj, "form": form, "members": members}, form)


@require_GET
def user_list(request: StaffRequest) -> HttpResponse:
    _admin(request)
    filters = UserFilterForm(request.GET or None)
    users = User.objects.select_related("org_unit", "team")
    if filters.is_valid():
        q, unit, active = (filters.cleaned_data[k] for k in ("q", "org_unit", "active"))
        if q:
            users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
        if unit:
            users = users.filter(org_unit__path__startswith=unit.path)
        if active in ("0", "1"):
            users = users.filter(is_active=active == "1")
    page = capped_page(users, request.GET.get("page"), per_page=settings.KEYCLIENT_LIST_PAGE_SIZE)
    hr = hr_managed_ids(User, [u.pk for u in page.object_list])
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "hr": hr, "query": query.urlencode()}
    return render(
        request, "org/users.html", context, status=200 if filters.is_valid() or not filters.is_bound else 400
    )


@require_http_methods(["GET", "POST"])
def user_create(request: StaffRequest) -> HttpResponse:
    _admin(request)
    form = NewUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = staff_verbs.create_user(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("%(x)s added.") % {"x": made})
            return redirect("org:user", staff=made.pk)
    return _render(request, "org/user_form.html", {"form": form}, form)


@require_http_methods(["GET", "POST"])
def user_detail(request: StaffRequest, staff: int) -> HttpResponse:
    _admin(request)
    person = get_object_or_404(User.objects.select_related("org_unit", "team"), pk=staff)
    hr = hr_fields_of(person)
    initial = {k: getattr(person, k) for k in staff_verbs.EDITABLE}
    form = UserForm(request.POST or None, initial=initial, hr_fields=hr)
    if request.method == "POST" and form.is_valid():
        try:
            fields = {k: v for k, v in form.cleaned_data.items() if not form.fields[k].disabled}
            staff_verbs.change_user(actor=request.user, user=person, **fields)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("org:user", staff=person.pk)
    context = {
        "person": person,
        "form": form,
        "hr": bool(hr),
        "deactivate_form": DeactivateForm(auto_id="id_deactivate_%s"),
        "panels": build_panels("KEYCLIENT_STAFF_PANELS", user=request.user, staff=person),
    }
    return _render(request, "org/user.html", context, form)


@require_POST
def user_deactivate(request: StaffRequest, staff: int) -> HttpResponse:
    _admin(request)
    person = get_object_or_404(User, pk=staff)
    form = DeactivateForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(list(form.errors.get("reason", [])) or _("Say why, in a few words."))
        staff_verbs.deactivate_user(actor=request.user, user=person, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(x)s deactivated: their clients await a handover.") % {"x": person})
    return redirect("org:user", staff=person.pk)


@require_POST
def user_reactivate(request: StaffRequest, staff: int) -> HttpResponse:
    _admin(request)
    person = get_object_or_404(User, pk=staff)
    try:
        staff_verbs.reactivate_user(actor=request.user, user=person)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(x)s reactivated.") % {"x": person})
    return redirect("org:user", staff=person.pk)
