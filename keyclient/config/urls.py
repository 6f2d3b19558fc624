from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("", include("keyclient.core.urls")),
    # Login, logout and the two-factor steps (keyclient.security: lockout, TOTP).
    path("", include("keyclient.security.urls")),
    path("clients/", include("keyclient.customers.urls")),
    path("audit/", include("keyclient.audit.urls")),
    path("intake/", include("keyclient.intake.urls")),
    path("jobs/", include("keyclient.jobs.urls")),
    path("tiers/", include("keyclient.valuation.urls")),
    path("coverage/", include("keyclient.coverage.urls")),
    path("coverage/", include("keyclient.capacity.urls")),
    path("org/", include("keyclient.org.urls")),
    path("api/", include("keyclient.config.api_urls")),
    # Anyone may choose the language, the login page included.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
]


def handler404(request, exception):  # type: ignore[no-untyped-def]
    """Under /api/ a URL no pattern matches (`/api/customers/-5/holdings/`) answers JSON like DRF's own 404."""
    from django.http import JsonResponse
    from django.utils.translation import gettext
    from django.views.defaults import page_not_found

    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found.")}, status=404)
    return page_not_found(request, exception)
