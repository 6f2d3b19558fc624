"""Exporting the client list."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from keyclient.audit.models import AccessEvent, BusinessEvent


def read_csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_branch_head_exports_the_filtered_scope_masked_and_watermarked(bank, login):
    response = login(bank.user("head_bj")).get(
        "/clients/export/?tier=platinum&format=csv", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="clients-')
    rows = read_csv(response)
    watermark = (
        r"Confidential\. Exported by E1006 \(郑行\) at 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d CST, export no\. 1"
    )
    assert re.fullmatch(watermark, rows[0][0]), rows[0][0]
    assert [(r[0], r[1], r[4], r[8]) for r in rows[2:]] == [
        ("6200000005", "钱七", "3000000.00", "135****5678"),
        ("6200000002", "李四", "800000.00", "139****2345"),
    ]
    event = AccessEvent.objects.get()
    assert (event.actor_name, event.action) == ("E1006", "export_list")
    assert event.detail == "clients csv rows=2 tier=platinum"
    business = BusinessEvent.objects.get()
    assert (business.verb, business.after["rows"], business.after["access_seq"]) == (
        "export_made",
        2,
        event.seq,
    )


def test_excel_export_carries_the_watermark(bank, login):
    response = login(bank.user("head_office")).get("/clients/export/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "E1007" in values[0][0]
    assert [row[0] for row in values[2:]] == [
        "6200000001",
        "6200000004",
        "6200000005",
        "6200000002",
        "6200000003",
    ]
    assert "E1007" in sheet.oddHeader.center.text


@pytest.mark.parametrize(("persona", "status"), [("rm_hd", 403), ("admin", 403)])
def test_roles_without_the_right_cannot_export_and_nothing_is_written(bank, login, persona, status):
    response = login(bank.user(persona)).get("/clients/export/?format=csv")
    assert response.status_code == status
    assert AccessEvent.objects.count() == 0 and BusinessEvent.objects.count() == 0


def test_bad_format_or_filter_is_refused_and_nothing_is_written(bank, login):
    client = login(bank.user("head_office"))
    assert client.get("/clients/export/?format=pdf").status_code == 400
    response = client.get("/clients/export/?format=csv&tier=nope")
    assert response.status_code == 400
    assert "tier" in response.content.decode()
    assert AccessEvent.objects.count() == 0


def test_exports_over_the_cap_are_refused(bank, login, settings):
    settings.KEYCLIENT_EXPORT_MAX_ROWS = 3
    response = login(bank.user("head_office")).get("/clients/export/?format=csv")
    assert response.status_code == 400
    assert "3" in response.content.decode()
    assert AccessEvent.objects.count() == 0


def test_the_list_offers_export_links_only_to_roles_that_may_export(bank, login):
    assert 'data-testid="export-csv"' in login(bank.user("head_bj")).get("/clients/").content.decode()
    assert 'data-testid="export-csv"' not in login(bank.user("rm_hd")).get("/clients/").content.decode()
