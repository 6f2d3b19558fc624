"""Login-hardening middleware: security headers, idle-session timeout, the two-factor gate.

Order in settings.MIDDLEWARE: `SecurityHeadersMiddleware` right after Django's SecurityMiddleware
(so every response, static and error pages included, gets the headers); `NoStoreMiddleware` right
after WhiteNoise (every answer but static files); `IdleTimeoutMiddleware`
then `TwoFactorMiddleware` after the auth and message middleware.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from keyclient.security import totp
from keyclient.security.roles import requires_two_factor

API_PREFIX = "/api/"
# The session's last request time (whole seconds since the epoch), rewritten at most once a minute.
LAST_SEEN_KEY = "keyclient_last_seen"
LAST_SEEN_RESOLUTION = 60

Handler = Callable[[HttpRequest], HttpResponse]


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a full page load instead of swapping the target page in."""
    if request.headers.get("HX-Request") == "true":
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def _with_next(url: str, request: HttpRequest) -> str:
    if request.method != "GET":
        return url
    return f"{url}?{urlencode({'next': request.get_full_path()})}"


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    The policy is `settings.KEYCLIENT_CSP`; `settings.KEYCLIENT_CSP_BY_PATH` gives a path its own
    policy (the Swagger UI page, whose start-up script is inline). A view that set its own
    Content-Security-Policy keeps it. HSTS, nosniff, Referrer-Policy and Cross-Origin-Opener-Policy
    come from Django's SecurityMiddleware settings.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = settings.KEYCLIENT_CSP_BY_PATH.get(request.path_info, settings.KEYCLIENT_CSP)
            response["Content-Security-Policy"] = policy
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.KEYCLIENT_PERMISSIONS_POLICY
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer of the application: client lists, the 360 page,
    unmasked values and exports must not stay in a browser's or a proxy's cache. Placed after
    WhiteNoise, so static files keep their long cache headers."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        return response


class IdleTimeoutMiddleware:
    """Log a user out after `KEYCLIENT_IDLE_TIMEOUT_MINUTES` without a request, then send them to
    the login page with a message (an API call gets 403 JSON)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(timezone.now().timestamp())
            seen = request.session.get(LAST_SEEN_KEY)
            timeout = settings.KEYCLIENT_IDLE_TIMEOUT_MINUTES
            if seen is not None and now - int(seen) > timeout * 60:
                logout(request)
                text = _(
                    "You were logged out after %(minutes)s minutes without activity. Please log in again."
                ) % {"minutes": timeout}
                if _is_api(request):
                    return JsonResponse({"detail": text}, status=403)
                messages.info(request, text)
                return _redirect(request, _with_next(reverse(settings.LOGIN_URL), request))
            if seen is None or now - int(seen) >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class TwoFactorMiddleware:
    """Keep a user whose role requires two-factor login on its steps until the session is verified:
    every page but the two steps, logout, static files and the language switch redirects to the
    code step (or to enrolment when the user has no confirmed device); the API answers 403 JSON."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and requires_two_factor(user)
            and not totp.is_verified(request.session, user)
            and not self._exempt(request)
        ):
            if _is_api(request):
                return JsonResponse(
                    {"detail": _("Two-factor verification required: finish logging in first.")},
                    status=403,
                )
            step = "two_factor_verify" if totp.has_confirmed_device(user) else "two_factor_enrol"
            return _redirect(request, _with_next(reverse(step), request))
        return self.get_response(request)

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        path = request.path
        if path.startswith(settings.STATIC_URL):
            return True
        names = ("two_factor_verify", "two_factor_enrol", "logout", "set_language")
        return path in {reverse(name) for name in names}
