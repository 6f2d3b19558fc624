"""The leak scan catches what it should and nothing else."""

from __future__ import annotations

import io
import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from openpyxl import Workbook

from tests import leakscan


@pytest.mark.parametrize(
    ("text", "leaks"),
    [
        ("ID 110108198001011235 here", ["110108198001011235"]),
        ("ID 11010819800101123X", ["11010819800101123X"]),
        ("tel:13800001234", ["13800001234"]),
        ("110108********1235 and 138****1234", []),
        ("hash 9f8e110108198001011235ab", []),  # inside a hex string: not an ID
        ("amount 12000000.00, client 6200000001", []),
    ],
)
def test_find_leaks(text, leaks):
    assert leakscan.find_leaks(text) == leaks


def test_the_middleware_reports_a_leaking_page_and_an_excel_file():
    leakscan._found.clear()
    page = leakscan.LeakScanMiddleware(lambda r: HttpResponse("<td>13800001234</td>"))
    page(RequestFactory().get("/x/"))
    book = Workbook()
    book.active.append(["110108198001011235"])
    out = io.BytesIO()
    book.save(out)
    excel = leakscan.LeakScanMiddleware(lambda r: HttpResponse(out.getvalue()))
    excel(RequestFactory().get("/y.xlsx"))
    assert leakscan._found == ["GET /x/: 13800001234", "GET /y.xlsx: 110108198001011235"]
    leakscan._found.clear()


def test_a_log_line_with_a_phone_is_caught_when_no_redaction_runs(monkeypatch):
    leakscan._found.clear()
    handler = leakscan.LeakScanHandler()
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])  # no configured console handler
    record = logging.LogRecord(
        "keyclient.test", logging.WARNING, __file__, 1, "calling %s", ("13900002345",), None
    )
    handler.emit(record)
    assert leakscan._found == ["log keyclient.test: 13900002345"]
    leakscan._found.clear()


def test_the_configured_handlers_redact_personal_numbers(caplog):
    leakscan._found.clear()
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"GET /clients/?q=%s HTTP/1.1" 200',
        ("13900002345",),
        None,
    )
    assert console.filter(record)
    assert record.getMessage() == '"GET /clients/?q=139****2345 HTTP/1.1" 200'
    logging.getLogger("keyclient.test").warning("ID %s", "110108198001011235")
    assert leakscan._found == []
