"""The leak scan: no unmasked resident ID or mobile number in any page, API response, export or log
line that the test suite produces, unless the test is marked `unmasks` (it shows one on purpose).

A middleware added to the settings for the whole session scans every response (test client and
live server alike, CSV and Excel exports included); a logging handler scans every log record.
Each test fails at teardown if anything it caused leaked.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import zipfile
from collections.abc import Callable

import pytest
from django.http import HttpRequest, HttpResponse

# The same patterns the log filter masks: what it would mask must never reach a response or a log.
from keyclient.security.logfilter import MOBILE, RESIDENT_ID

_found: list[str] = []
_lock = threading.Lock()


def find_leaks(text: str) -> list[str]:
    """Every unmasked resident ID or mobile number in `text`."""
    return RESIDENT_ID.findall(text) + MOBILE.findall(text)


def response_text(response: HttpResponse) -> str:
    if getattr(response, "streaming", False):
        return ""
    content = response.content
    if content[:2] == b"PK":  # an Excel file: scan the XML inside
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return " ".join(
                archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml")
            )
    return content.decode("utf-8", "replace")


def _report(where: str, text: str) -> None:
    leaks = find_leaks(text)
    if leaks:
        with _lock:
            _found.extend(f"{where}: {leak}" for leak in leaks)


class LeakScanMiddleware:
    """Test-only middleware: scans every response body for unmasked personal numbers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        _report(f"{request.method} {request.path}", response_text(response))
        return response


class LeakScanHandler(logging.Handler):
    """Scans each record as the configured console handler would write it (its filters included)."""

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a scanner must never break logging
            console = next((h for h in logging.getLogger().handlers if h.get_name() == "console"), None)
            if console is None:
                _report(f"log {record.name}", self.format(record))
            elif console.filter(record):
                _report(f"log {record.name}", console.format(record))


@pytest.fixture(scope="session", autouse=True)
def _leak_scan_everything(django_test_environment):  # type: ignore[no-untyped-def]
    from django.conf import settings

    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.leakscan.LeakScanMiddleware"]
    handler = LeakScanHandler(level=logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield
    logging.getLogger().removeHandler(handler)


@pytest.fixture(autouse=True)
def _no_leak_in_this_test(request):  # type: ignore[no-untyped-def]
    with _lock:
        _found.clear()
    yield
    with _lock:
        leaks, _found[:] = list(_found), []
    if leaks and request.node.get_closest_marker("unmasks") is None:
        pytest.fail("unmasked personal data left the server:\n  " + "\n  ".join(leaks[:10]), pytrace=False)
