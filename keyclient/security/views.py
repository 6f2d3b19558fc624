"""Login in steps: password (with lockout), then for roles that need it a TOTP code or enrolment."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keyclient.audit.actors import StaffRequest
from keyclient.security import lockout, totp
from keyclient.security.forms import CodeForm, LoginForm, locked_error
from keyclient.security.middleware import LAST_SEEN_KEY
from keyclient.security.models import LoginOutcome, TOTPDevice
from keyclient.security.network import client_ip
from keyclient.security.roles import requires_two_factor


def _next_url(request: HttpRequest) -> str:
    """The `next` parameter when it points into this site, else the default landing page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _step_url(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


class LoginView(auth_views.LoginView):
    """The password step. A user whose role requires two-factor login is logged in but left
    unverified: `TwoFactorMiddleware` holds them on the code (or enrolment) step."""

    form_class = LoginForm
    template_name = "security/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        username = form.cleaned_data["username"]
        needs_code = requires_two_factor(user)
        auth_login(self.request, user)
        # A fresh password step never inherits an earlier verification of this session.
        totp.forget_verified(self.request.session)
        self.request.session[LAST_SEEN_KEY] = int(timezone.now().timestamp())
        lockout.record_success(username=username, ip=client_ip(self.request), complete=not needs_code)
        next_url = self.get_success_url()
        if needs_code:
            step = "two_factor_verify" if totp.has_confirmed_device(user) else "two_factor_enrol"
            return HttpResponseRedirect(_step_url(step, next_url))
        return HttpResponseRedirect(next_url)


class LogoutView(auth_views.LogoutView):
    """Logging out flushes the session, and with it the second-factor mark and the idle clock."""


def _refuse_locked(request: HttpRequest, lock: lockout.Lock) -> HttpResponse:
    """End the half-logged-in session and show the lock on the login page."""
    auth_logout(request)
    error = locked_error(lock)
    messages.error(request, error.message % error.params)
    return redirect(settings.LOGIN_URL)


def _code_step(
    request: StaffRequest, *, device: TOTPDevice, enrolling: bool, context: dict[str, Any]
) -> HttpResponse:
    """Check a submitted code against `device` (confirming it when `enrolling`), counting a wrong
    or reused code as a failed login; on success mark the session verified and go on."""
    user = request.user
    username = user.get_username()
    ip = client_ip(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        standing = lockout.standing(username, ip)
        if standing.lock is not None:
            lockout.record_refused(username=username, ip=ip, standing=standing)
            return _refuse_locked(request, standing.lock)
        if form.is_valid():
            code = form.cleaned_data["code"]
            if enrolling:
                result = totp.confirm_enrolment(actor=user, device=device, code=code)
            else:
                result = totp.check_code(device=device, code=code)
            if result is totp.CodeCheck.OK:
                lockout.record_success(username=username, ip=ip)
                request.session.cycle_key()  # a new session id for the now fully logged-in session
                totp.mark_verified(request.session, user)
                if enrolling:
                    messages.success(request, _("Two-factor login is set up."))
                return HttpResponseRedirect(_next_url(request))
            lock = lockout.record_failure(
                username=username, ip=ip, outcome=LoginOutcome.WRONG_CODE, standing=standing
            )
            if lock is not None:
                return _refuse_locked(request, lock)
            if result is totp.CodeCheck.REUSED:
                form.add_error(None, _("This code was used already. Wait for the next code and enter it."))
            else:
                form.add_error(None, _("The code is wrong. Check the time on your phone and try again."))
    template = "security/enrol.html" if enrolling else "security/verify.html"
    context = {**context, "form": form, "next": _next_url(request)}
    return render(request, template, context, status=200)


@require_http_methods(["GET", "POST"])
def verify(request: StaffRequest) -> HttpResponse:
    """The code step for a user with a confirmed authenticator."""
    user = request.user
    if not requires_two_factor(user) or totp.is_verified(request.session, user):
        return HttpResponseRedirect(_next_url(request))
    device = totp.confirmed_device(user)
    if device is None:
        return HttpResponseRedirect(_step_url("two_factor_enrol", _next_url(request)))
    return _code_step(request, device=device, enrolling=False, context={})


@require_http_methods(["GET", "POST"])
def enrol(request: StaffRequest) -> HttpResponse:
    """Set up an authenticator: the secret as text and as a QR code, then one code to confirm it."""
    user = request.user
    if not requires_two_factor(user) or totp.is_verified(request.session, user):
        return HttpResponseRedirect(_next_url(request))
    if totp.has_confirmed_device(user):
        return HttpResponseRedirect(_step_url("two_factor_verify", _next_url(request)))
    device = totp.pending_device(user)
    uri = totp.provisioning_uri(device, user)
    secret = device.secret
    context = {
        "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        # segno's SVG: generated here from our own URI, no user-supplied markup.
        "qr_svg": mark_safe(totp.qr_svg(uri, title=_("QR code for your authenticator app"))),  # noqa: S308
        "issuer": totp.ISSUER,
        "account": user.get_username(),
    }
    return _code_step(request, device=device, enrolling=True, context=context)
