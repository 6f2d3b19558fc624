"""Views that belong to no domain: the landing redirect, liveness (`/healthz`), readiness (`/readyz`),
and the plain 400 answer."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
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
    """Liveness: the process answers. No database query (a database outage must not restart web workers)."""
    return JsonResponse({"status": "ok"})


@login_not_required
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database reachable, lake writable, keys present, no unapplied migration.

    200 with every check "ok", else 503 naming what failed; reveals no data (no path, no key)."""
    checks = {
        "database": _check_database,
        "lake": _check_lake,
        "keys": _check_keys,
        "migrations": _check_migrations,
    }
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a check that raises is a failed check, never a 500
            results[name] = f"failed: {type(exc).__name__}"
    ready = all(value == "ok" for value in results.values())
    failed = [name for name, value in results.items() if value != "ok"]
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results, "failed": failed},
        status=200 if ready else 503,
    )


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_lake() -> str:
    lake = Path(settings.KEYCLIENT_LAKE_DIR)
    if not lake.is_dir():
        return "failed: the lake directory is missing"
    if not os.access(lake, os.W_OK | os.X_OK):
        return "failed: the lake directory is not writable"
    return "ok"


def _check_keys() -> str:
    from cryptography.fernet import Fernet

    if not settings.KEYCLIENT_FIELD_KEYS:
        return "failed: no field encryption key"
    for key in settings.KEYCLIENT_FIELD_KEYS:
        Fernet(key)  # an invalid key raises
    if not settings.KEYCLIENT_BLIND_INDEX_KEY or not settings.KEYCLIENT_AUDIT_KEY:
        return "failed: the blind-index or audit key is missing"
    return "ok"


def _check_migrations() -> str:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return f"failed: {len(plan)} unapplied migrations" if plan else "ok"


def bad_request(message: str) -> HttpResponseBadRequest:
    """A 400 answer for a download or other non-page request: plain text, so that whatever of the
    request a message repeats is never rendered as markup."""
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
