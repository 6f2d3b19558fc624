"""The two-factor reset page for administrators: request a reset of a user's lost authenticator, and
approve or reject another administrator's request. The rules live in `keyclient.security.recovery`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from keyclient.audit.actors import StaffRequest
from keyclient.security.models import ResetStatus, TwoFactorReset
from keyclient.security.recovery import (
    ResetRefused,
    approve_two_factor_reset,
    reject_two_factor_reset,
    request_two_factor_reset,
)
from keyclient.security.roles import may_reset_two_factor

DECIDED_SHOWN = 50


class ResetRequestForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Staff number"), max_length=150)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("How the authenticator was lost and how the person was identified."),
    )

    def clean_username(self) -> object:
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(_("No staff member has this staff number."), code="unknown")
        return user


def _require_right(request: StaffRequest) -> None:
    if not may_reset_two_factor(request.user):
        raise PermissionDenied(_("Only administrators reset two-factor authenticators."))


@require_http_methods(["GET", "POST"])
def resets(request: StaffRequest) -> HttpResponse:
    """Pending resets (with their decision buttons), the latest decided ones, and the request form."""
    _require_right(request)
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset = request_two_factor_reset(
                actor=request.user, user=form.cleaned_data["username"], reason=form.cleaned_data["reason"]
            )
        except ResetRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Reset of %(user)s requested: a second administrator approves it.")
                % {"user": reset.user.get_username()},
            )
            return redirect("two_factor_resets")
    related = TwoFactorReset.objects.select_related("user", "requested_by", "decided_by")
    context = {
        "form": form,
        "pending": related.filter(status=ResetStatus.PENDING).order_by("requested_at", "pk"),
        "decided": related.exclude(status=ResetStatus.PENDING).order_by("-decided_at", "-pk")[:DECIDED_SHOWN],
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "security/two_factor_resets.html", context, status=status)


def _decide(request: StaffRequest, reset_id: int, *, approve: bool) -> HttpResponse:
    _require_right(request)
    reset = get_object_or_404(TwoFactorReset, pk=reset_id)
    verb = approve_two_factor_reset if approve else reject_two_factor_reset
    try:
        verb(actor=request.user, reset=reset)
    except ResetRefused as exc:
        messages.error(request, str(exc))
        return redirect("two_factor_resets")
    if approve:
        text = _("Authenticator of %(user)s removed: they set up a new one at their next login.")
    else:
        text = _("Reset of %(user)s rejected.")
    messages.success(request, text % {"user": reset.user.get_username()})
    return redirect("two_factor_resets")


@require_POST
def approve(request: StaffRequest, reset_id: int) -> HttpResponse:
    return _decide(request, reset_id, approve=True)


@require_POST
def reject(request: StaffRequest, reset_id: int) -> HttpResponse:
    return _decide(request, reset_id, approve=False)
