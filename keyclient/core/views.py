"""Views that belong to no domain: the landing redirect and the health check; the plain 400 answer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("customers:list")


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for load balancers; reveals no data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def bad_request(message: str) -> HttpResponseBadRequest:
    """A 400 answer for a download or other non-page request: plain text, so that whatever of the
    request a message repeats is never rendered as markup."""
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
