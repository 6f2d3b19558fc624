"""Input an attacker controls is bounded: a clear 400, never a 500, never reflected as markup."""

from __future__ import annotations

import json

import pytest

from keyclient.audit.models import AccessEvent, BusinessEvent

LONG_SEARCHES = ["a" * 60_000, "张" * 50_000, "1" * 101]
TOO_LONG = "搜索内容最多 100 个字符（当前 {n} 个）。"


@pytest.mark.parametrize("text", LONG_SEARCHES, ids=["60000-latin", "50000-cjk", "101-digits"])
def test_a_long_search_on_the_page_is_a_400_with_the_message(bank, login, text):
    response = login(bank.user("head_office")).get("/clients/", {"q": text})
    assert response.status_code == 400
    assert response.context["page"].object_list == []
    assert TOO_LONG.format(n=len(text)) in response.content.decode()


def test_a_long_search_over_htmx_gets_the_table_with_the_message(bank, login):
    response = login(bank.user("head_office")).get("/clients/", {"q": "a" * 60_000}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    body = response.content.decode()
    assert TOO_LONG.format(n=60_000) in body and "<html" not in body


@pytest.mark.parametrize("text", LONG_SEARCHES, ids=["60000-latin", "50000-cjk", "101-digits"])
def test_a_long_search_in_the_api_is_a_400_naming_the_field(bank, login, text):
    response = login(bank.user("head_office")).get("/api/customers/", {"q": text})
    assert response.status_code == 400
    assert json.loads(response.content) == {"q": [TOO_LONG.format(n=len(text))]}


def test_a_search_of_the_maximum_length_still_runs(bank, login):
    client = login(bank.user("head_office"))
    assert client.get("/clients/", {"q": "张" * 100}).status_code == 200
    assert client.get("/api/customers/", {"q": "张" * 100}).status_code == 200
    assert client.get("/clients/", {"q": "张三"}).context["page"].object_list[0].name == "张三"


def test_a_long_search_export_is_refused_and_nothing_is_recorded(bank, login):
    response = login(bank.user("head_office")).get("/clients/export/", {"q": "a" * 60_000, "format": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "筛选条件无效：* q\n  * " + TOO_LONG.format(n=60_000)
    assert (AccessEvent.objects.count(), BusinessEvent.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"format": "<b>x</b>"}, "不支持的导出格式，请选择：csv, xlsx。"),
        ({"format": "csv", "tier": "<script>alert(1)</script>"}, None),
    ],
    ids=["format", "tier"],
)
def test_a_bad_client_export_request_is_plain_text_and_writes_nothing(bank, login, query, message):
    response = login(bank.user("head_office")).get("/clients/export/", query)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"  # plain text stays text: no markup runs
    body = response.content.decode()
    if message is not None:
        assert body == message  # the format is not repeated
    assert (AccessEvent.objects.count(), BusinessEvent.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    "field",
    ["contact:²", "contact:" + "9" * 5000, "contact:99999999999999999999", "contact:", "contact:-1"],
    ids=["superscript", "5000-digits", "20-digits", "empty", "negative"],
)
def test_a_malformed_contact_field_to_unmask_is_a_400_and_writes_nothing(bank, login, field):
    zhang = bank.customers["zhang"]
    response = login(bank.user("rm_hd")).post(
        f"/clients/{zhang.pk}/unmask/", {"field": field, "reason": "客户来电核实身份"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "该字段不能解除脱敏。" in response.content.decode()
    assert AccessEvent.objects.count() == 0
