"""The audit search refuses dates it cannot search with a message (400), never a 500 or an empty
result; a bad export request is answered in plain text without repeating it, and records nothing."""

from __future__ import annotations

import pytest
from django.utils import translation

from keyclient.audit.filters import AuditSearchForm
from keyclient.audit.models import AccessEvent
from keyclient.audit.services import record_access

RANGE = "请输入 2000-01-01 至 2099-12-31 之间的日期。"
INVALID = "输入一个有效的日期。"


def label(name: str) -> str:
    """The field's label as the page shows it (labels are the UI's to word)."""
    with translation.override("zh-hans"):
        return str(AuditSearchForm.base_fields[name].label)


@pytest.fixture
def compliance(bank, login):  # type: ignore[no-untyped-def]
    record_access(actor=bank.user("rm_hd"), action="view_client", customer=bank.customers["zhang"])
    return login(bank.user("compliance"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_to": "9999-12-31"}, ("date_to", RANGE)),
        ({"date_from": "0001-01-01"}, ("date_from", RANGE)),
        ({"date_from": "1999-12-31"}, ("date_from", RANGE)),
        ({"date_from": "2026-13-45"}, ("date_from", INVALID)),
        ({"date_to": "yesterday"}, ("date_to", INVALID)),
        ({"customer_no": "6" * 21}, ("customer_no", "确保该变量包含不超过 20 字符 (目前字符数 21)。")),
    ],
    ids=["9999", "0001", "before-2000", "no-such-day", "not-a-date", "long-client-no"],
)
@pytest.mark.parametrize("stream", ["access", "business", "changes"])
def test_a_bad_search_is_a_400_with_the_message(compliance, query, message, stream):
    message = f"{label(message[0])}: {message[1]}"
    response = compliance.get(f"/audit/{stream}/", query)
    assert response.status_code == 400
    assert response.context["page"].object_list == []
    assert list(response.context["form"].non_field_errors()) == [message]
    assert message in response.content.decode()


def test_the_bounds_themselves_are_searchable(compliance):
    response = compliance.get("/audit/access/", {"date_from": "2000-01-01", "date_to": "2099-12-31"})
    assert response.status_code == 200
    assert [row["seq"] for row in response.context["page"].object_list] == [1]


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ({"format": "<b>x</b>"}, "不支持的导出格式，请选择：csv, xlsx。"),
        ({"format": "csv", "date_to": "9999-12-31"}, ("date_to", RANGE)),
        ({"format": "csv", "date_from": "<script>"}, ("date_from", INVALID)),
    ],
    ids=["markup-format", "date-9999", "markup-date"],
)
def test_a_bad_export_is_plain_text_without_the_input_and_records_nothing(compliance, query, body):
    response = compliance.get("/audit/access/export/", query)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    if isinstance(body, tuple):
        body = f"导出请求无效：{label(body[0])}: {body[1]}"
    assert response.content.decode() == body
    assert AccessEvent.objects.count() == 1  # the fixture's row only: no export was recorded
