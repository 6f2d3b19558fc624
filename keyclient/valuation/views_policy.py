"""The tier policy screens for head office and administrators: the rules in force and their history,
a draft's editor, its what-if against the latest month end, and publishing. Every write goes through
`valuation.services` (which checks the role again and records the business event)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyclient.security.roles import Action, may, may_edit_tier_policy
from keyclient.valuation.choices import PolicyStatus
from keyclient.valuation.forms import TierPolicyForm, readable_rules
from keyclient.valuation.models import TierPolicy
from keyclient.valuation.policy import PolicyError, default_rules
from keyclient.valuation.services import publish_policy, save_draft, start_draft
from keyclient.valuation.whatif import what_if

HISTORY_SHOWN = 50


def _require_editor(request: HttpRequest) -> None:
    if not may_edit_tier_policy(request.user):
        raise PermissionDenied(_("Only head office and administrators edit the tier policy."))


def _version(version: int) -> TierPolicy:
    policy = TierPolicy.objects.filter(version=version).first()
    if policy is None:
        raise Http404(_("No such policy version"))
    return policy


def _published_rules(versions: list[TierPolicy] | None = None) -> tuple[TierPolicy | None, dict]:
    """The version in force and its rules; before any is published, the defaults (version 1 is
    created from them at the first month-end run or draft)."""
    if versions is None:
        published = TierPolicy.objects.filter(status=PolicyStatus.PUBLISHED).first()
    else:
        published = next((v for v in versions if v.status == PolicyStatus.PUBLISHED), None)
    return published, published.rules if published is not None else default_rules()


@require_GET
def policy_home(request: HttpRequest) -> HttpResponse:
    """The rules in force, the open draft (if any) and every version's history."""
    _require_editor(request)
    versions = list(
        TierPolicy.objects.select_related("created_by", "published_by").order_by("-version")[:HISTORY_SHOWN]
    )
    published, rules = _published_rules(versions)
    draft = next((v for v in versions if v.status == PolicyStatus.DRAFT), None)
    context = {"published": published, "rules": readable_rules(rules), "draft": draft, "versions": versions}
    return render(request, "valuation/policy_home.html", context)


@require_POST
def policy_start_draft(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    draft = start_draft(actor=request.user)
    return redirect("valuation:policy-edit", version=draft.version)


@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, version: int) -> HttpResponse:
    """Edit a draft: on any wrong value every error is shown on its field and nothing is saved."""
    _require_editor(request)
    policy = _version(version)
    if policy.status != PolicyStatus.DRAFT:
        context = {"policy": policy, "form": None, "rules": readable_rules(policy.rules)}
        return render(request, "valuation/policy_edit.html", context, status=409)
    form = TierPolicyForm(request.POST or None, rules=policy.rules, note=policy.note)
    if request.method == "POST" and form.is_valid():
        try:
            save_draft(actor=request.user, policy=policy, rules=form.rules(), note=form.cleaned_data["note"])
        except PolicyError as exc:
            form.add_policy_errors(exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("valuation:policy-what-if", version=policy.version)
    status = 400 if form.errors else 200
    return render(request, "valuation/policy_edit.html", {"policy": policy, "form": form}, status=status)


@require_POST
def policy_publish(request: HttpRequest, version: int) -> HttpResponse:
    _require_editor(request)
    policy = _version(version)
    try:
        publish_policy(actor=request.user, policy=policy)
    except PolicyError as exc:
        errors = exc.errors
    except ValidationError as exc:
        errors = exc.messages
    else:
        return redirect("valuation:policy")
    return render(request, "valuation/policy_error.html", {"policy": policy, "errors": errors}, status=400)


@require_GET
def policy_what_if(request: HttpRequest, version: int) -> HttpResponse:
    """A version's rules against the published ones on the latest month end, clients in the user's
    scope; nothing is saved."""
    _require_editor(request)
    policy = _version(version)
    published, baseline = _published_rules()
    context = {
        "policy": policy,
        "published": published,
        "result": what_if(request.user, rules=policy.rules, baseline=baseline),
        "sees_clients": may(request.user, Action.VIEW),
    }
    return render(request, "valuation/policy_what_if.html", context)
