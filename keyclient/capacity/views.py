"""Coverage screens: the dashboard, the client and RM lists behind its figures, the suggestions a
team lead reviews and applies, and the capacity norms (head office)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyclient.audit.actors import StaffRequest
from keyclient.capacity.choices import Load, NormsStatus
from keyclient.capacity.figures import figures
from keyclient.capacity.models import CapacityNorms
from keyclient.capacity.norms import NormsError, published_norms
from keyclient.capacity.queries import (
    TEAM_GAP,
    covered_share,
    key_clients,
    norm_loads,
    rm_loads,
)
from keyclient.capacity.scope import coverage_scope, may_apply_suggestions
from keyclient.capacity.services import apply_lines, draft_norms, publish_norms
from keyclient.capacity.solver import Norm
from keyclient.capacity.suggestions import suggest
from keyclient.customers.choices import Tier
from keyclient.org.choices import StaffGrade
from keyclient.org.models import User
from keyclient.security.roles import may_edit_tier_policy

PAGE = 50
SHOWN_LINES = 1_000  # a plan longer than this is reviewed unit by unit (`?unit=`)


def norm_label(norm: Norm) -> str:
    """`Senior · Private banking, Diamond`."""
    tiers = dict(Tier.choices)
    return f"{dict(StaffGrade.choices).get(norm.grade, norm.grade)} · {', '.join(str(tiers.get(t, t)) for t in norm.tiers)}"


def _unit(request: StaffRequest) -> str | None:
    return request.GET.get("unit") or request.POST.get("unit") or None


def dashboard(request: StaffRequest) -> HttpResponse:
    scope = coverage_scope(request.user, _unit(request))
    found = figures(request.user, scope, fresh=request.GET.get("fresh") == "1")
    version, loads, tiers = found.version, found.loads, found.tiers
    tier_labels = dict(Tier.choices)
    return render(request, "capacity/dashboard.html", {
        "scope": scope, "version": version, "loads": loads, "share": covered_share(tiers),
        "norm_rows": [(row, norm_label(row.norm)) for row in loads.rows],
        "tiers": [(t, tier_labels.get(t.tier, t.tier)) for t in tiers],
        "totals": {
            "clients": sum(t.clients for t in tiers), "no_rm": sum(t.no_rm for t in tiers),
            "no_team": sum(t.no_team for t in tiers),
        },
        "unit_q": f"unit={scope.unit.pk}&" if scope.unit else "",
        "may_apply": may_apply_suggestions(request.user), "computed_at": found.computed_at,
    })  # fmt: skip


def client_list(request: StaffRequest) -> HttpResponse:
    """The key clients behind a dashboard figure: `gap` = rm / team / none, `tier` optional."""
    scope = coverage_scope(request.user, _unit(request))
    clients = key_clients(scope.clients)
    gap, tier = request.GET.get("gap", ""), request.GET.get("tier", "")
    if gap == "rm":
        clients = clients.filter(short_rm=True)
    elif gap == "team":
        clients = clients.filter(TEAM_GAP)
    if tier:
        clients = clients.filter(service_tier=tier)
    page = Paginator(
        clients.select_related("primary_rm", "home_org_unit")
        .annotate(aum=F("position__aum"))
        .order_by("-aum", "pk"),
        PAGE,
    ).get_page(request.GET.get("page"))
    return render(request, "capacity/clients.html", {
        "scope": scope, "page": page, "gap": gap, "tier": tier, "tier_labels": dict(Tier.choices),
        "unit_q": f"unit={scope.unit.pk}&" if scope.unit else "", "may_apply": may_apply_suggestions(request.user),
    })  # fmt: skip


def rm_list(request: StaffRequest) -> HttpResponse:
    """The RMs behind a dashboard figure: `load` = over / under, `norm` = a norm's index."""
    scope = coverage_scope(request.user, _unit(request))
    _version, norms = published_norms()
    load, norm = request.GET.get("load", ""), request.GET.get("norm", "")
    loads = norm_loads(scope.clients, scope.rms, norms)
    ids = [pk for pk, state in loads.by_rm.items() if not load or state == load]
    rms = scope.rms.filter(pk__in=ids)
    if norm.isdigit() and int(norm) < len(norms):
        rms = rms.filter(grade=norms[int(norm)].grade)
    page = Paginator(rms.select_related("org_unit", "team").order_by("username"), PAGE).get_page(
        request.GET.get("page")
    )
    counts = rm_loads(scope.clients, scope.rms.filter(pk__in=[u.pk for u in page.object_list]), norms)
    rows = [
        (
            u,
            loads.by_rm.get(u.pk, ""),
            [
                (norm_label(n), counts.get(u.pk, {}).get(i, 0), n)
                for i, n in enumerate(norms)
                if n.grade == u.grade
            ],
        )
        for u in page.object_list
    ]
    return render(request, "capacity/rms.html", {
        "scope": scope, "page": page, "rows": rows, "load": load, "load_labels": dict(Load.choices),
        "tier_labels": dict(Tier.choices), "unit_q": f"unit={scope.unit.pk}&" if scope.unit else "",
    })  # fmt: skip


def suggestions(request: StaffRequest) -> HttpResponse:
    scope = coverage_scope(request.user, _unit(request))
    if request.method == "POST":
        if not may_apply_suggestions(request.user):
            raise PermissionDenied
        try:
            moved = apply_lines(
                actor=request.user,
                scope=scope,
                keys=request.POST.getlist("line"),
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("%(n)s clients assigned.") % {"n": moved})
        url = reverse("capacity:suggestions")
        return redirect(f"{url}?unit={scope.unit.pk}" if scope.unit else url)
    plan = suggest(scope)
    names = dict(
        User.objects.filter(
            pk__in={ln.to_rm for ln in plan.lines} | {ln.from_rm for ln in plan.lines if ln.from_rm}
        ).values_list("pk", "display_name")
    )
    tiers = dict(Tier.choices)
    lines = [
        (
            ln,
            tiers.get(ln.tier, ln.tier),
            names.get(ln.from_rm, "") if ln.from_rm else "",
            names.get(ln.to_rm, ""),
        )
        for ln in plan.lines[:SHOWN_LINES]
    ]
    return render(request, "capacity/suggestions.html", {
        "scope": scope, "plan": plan, "lines": lines, "hidden": max(0, len(plan.lines) - SHOWN_LINES),
        "may_apply": may_apply_suggestions(request.user),
    })  # fmt: skip


def norms_list(request: StaffRequest) -> HttpResponse:
    if not (may_edit_tier_policy(request.user) or request.user.may_view_coverage):
        raise PermissionDenied
    versions = list(CapacityNorms.objects.select_related("created_by", "published_by"))
    return render(request, "capacity/norms.html", {
        "versions": [(v, json.dumps(v.rules, ensure_ascii=False, indent=1)) for v in versions],
        "may_edit": may_edit_tier_policy(request.user),
        "in_force": [norm_label(n) + f" ≤ {n.max_clients} (≥ {n.min_clients})" for n in published_norms()[1]],
    })  # fmt: skip


@require_POST
def norms_draft(request: StaffRequest) -> HttpResponse:
    text = request.POST.get("rules", "").strip()
    try:
        rules = json.loads(text) if text else None
        draft = draft_norms(actor=request.user, rules=rules, note=request.POST.get("note", ""))
    except json.JSONDecodeError as error:
        messages.error(request, _("The rules are not JSON: %(error)s") % {"error": error})
    except NormsError as error:
        for text in error.errors:
            messages.error(request, text)
    else:
        messages.success(request, _("Draft version %(v)s saved.") % {"v": draft.version})
    return redirect("capacity:norms")


@require_POST
def norms_publish(request: StaffRequest, norms: int) -> HttpResponse:
    draft = get_object_or_404(CapacityNorms, pk=norms, status=NormsStatus.DRAFT)
    try:
        publish_norms(actor=request.user, norms=draft)
    except (ValidationError, NormsError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Version %(v)s published.") % {"v": draft.version})
    return redirect("capacity:norms")
