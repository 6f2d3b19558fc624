"""Handover screens: hand an RM's book over (team leads, branch heads, head office, administrators) and
the handover's report. The report lists only the clients the viewer may see (an administrator: counts)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from keyclient.audit.actors import StaffRequest
from keyclient.coverage.forms import HandoverForm
from keyclient.coverage.handover import HANDOVER_ROLES, hand_over, orphans
from keyclient.coverage.models import Handover, HandoverItem
from keyclient.customers.scope import scoped_to_customers


@require_http_methods(["GET", "POST"])
def handover_new(request: StaffRequest) -> HttpResponse:
    if request.user.role not in HANDOVER_ROLES:
        raise PermissionDenied(
            _("Only team leads, branch heads, head office and administrators hand books over.")
        )
    form = HandoverForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            done = hand_over(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            return redirect("coverage:handover", handover_id=done.pk)
    return render(request, "coverage/handover_new.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def handover_report(request: StaffRequest, handover_id: int) -> HttpResponse:
    """Whoever made the handover sees its report (what moved, what is left, the packs they may see)."""
    handover = (
        Handover.objects.filter(pk=handover_id, created_by=request.user)
        .select_related("from_rm", "to_rm")
        .first()
    )
    if handover is None:
        raise Http404(_("No such handover"))
    items = scoped_to_customers(HandoverItem.objects.filter(handover=handover), request.user).select_related(
        "customer", "task"
    )
    context = {"handover": handover, "items": items, "left_now": orphans(handover.from_rm)}
    return render(request, "coverage/handover_report.html", context)
