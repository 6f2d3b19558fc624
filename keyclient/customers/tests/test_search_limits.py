"""Search as an oracle: identifier searches recorded (never the value), limited, and alerted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict

from keyclient.audit.models import AccessEvent, BusinessEvent

ZHANG_MOBILE = "13800001234"
ZHANG_ID = "110108198001011235"


@pytest.fixture
def limits(settings):  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_SEARCH_WINDOW_MINUTES = 10
    settings.KEYCLIENT_SEARCH_RATE = 8
    settings.KEYCLIENT_IDENTIFIER_SEARCH_RATE = 3
    return settings


def window_of(user):  # type: ignore[no-untyped-def]
    from keyclient.customers.models import SearchWindow

    return SearchWindow.objects.get(user=user)


def api_search(client, text: str, language: str = "en"):  # type: ignore[no-untyped-def]
    return client.get("/api/customers/", {"q": text}, HTTP_ACCEPT_LANGUAGE=language)


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.parametrize(("text", "kind"), [(ZHANG_MOBILE, "mobile"), (ZHANG_ID, "id_number")])
def test_an_identifier_search_is_an_access_event_with_kind_and_count_never_the_value(
    bank, login, limits, text, kind
):
    response = api_search(login(bank.user("head_office")), text)
    assert response.status_code == 200
    assert names(response) == ["张三"]
    event = AccessEvent.objects.get()
    assert (event.actor_name, event.action, event.detail, event.customer_no, event.fields, event.reason) == (
        "E1007",
        "search_identifier",
        f"kind={kind} results=1",
        "",
        "",
        "",
    )
    stored = " ".join(str(v) for k, v in model_to_dict(event).items() if k not in ("hash", "prev_hash"))
    assert text not in stored and text[3:7] not in stored and text[6:14] not in stored
    assert BusinessEvent.objects.count() == 0


def test_an_identifier_search_with_no_result_is_recorded_with_zero(bank, login, limits):
    assert names(api_search(login(bank.user("rm_hd")), "13999999999")) == []
    assert AccessEvent.objects.get().detail == "kind=mobile results=0"


def test_other_searches_count_but_are_not_access_events(bank, login, limits):
    client = login(bank.user("head_office"))
    assert names(api_search(client, "zs")) == ["张三"]
    assert names(api_search(client, "1234")) == ["张三"]  # last four: shown masked anyway
    assert names(api_search(client, "6200000003")) == ["王五"]
    assert AccessEvent.objects.count() == 0
    window = window_of(bank.user("head_office"))
    assert (window.searches, window.identifier_searches, window.alerted) == (3, 0, False)


def test_the_identifier_search_after_the_limit_is_refused_with_429_and_nothing_returned(bank, login, limits):
    client = login(bank.user("head_office"))
    for _ in range(3):
        assert names(api_search(client, ZHANG_MOBILE)) == ["张三"]
    response = api_search(client, ZHANG_MOBILE)
    assert response.status_code == 429
    assert "results" not in response.json()
    assert "张三" not in response.content.decode()
    assert response.json()["detail"].startswith("Too many searches by a full mobile or ID number")
    assert (
        api_search(client, ZHANG_MOBILE, "zh-hans")
        .json()["detail"]
        .startswith("按完整手机号或证件号搜索次数过多：10 分钟后")
    )
    assert response["Retry-After"] == "600"
    assert list(AccessEvent.objects.values_list("detail", flat=True)) == [
        "kind=mobile results=1",
        "kind=mobile results=1",
        "kind=mobile results=1",
        "kind=mobile refused",
        "kind=mobile refused",
    ]
    window = window_of(bank.user("head_office"))
    assert (window.searches, window.identifier_searches) == (3, 3)  # the refused one did not count
    # Other searches still work; the ID is an identifier too.
    assert names(api_search(client, "zs")) == ["张三"]
    assert api_search(client, ZHANG_ID).status_code == 429


@pytest.mark.unmasks  # the search box shows back the number the user typed
def test_the_page_refuses_with_a_message_and_no_rows(bank, login, limits):
    client = login(bank.user("head_office"))
    for _ in range(3):
        assert "张三" in client.get("/clients/", {"q": ZHANG_MOBILE}).content.decode()
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get("/clients/", {"q": ZHANG_MOBILE}, HTTP_ACCEPT_LANGUAGE="en", **headers)
        assert response.status_code == 429
        body = response.content.decode()
        assert 'data-testid="search-refused"' in body
        assert "Too many searches by a full mobile or ID number" in body
        assert "张三" not in body
    assert AccessEvent.objects.filter(detail="kind=mobile refused").count() == 2


def test_a_burst_alerts_compliance_exactly_once_per_window(bank, login, limits):
    client = login(bank.user("rm_hd"))
    statuses = [api_search(client, ZHANG_MOBILE).status_code for _ in range(6)]
    assert statuses == [200, 200, 200, 429, 429, 429]
    alert = BusinessEvent.objects.get()
    assert (alert.verb, alert.actor_name, alert.customer_no) == ("search_limit_reached", "E1001", "")
    assert {k: v for k, v in alert.after.items() if k != "window_started"} == {
        "kind": "mobile",
        "identifier_searches": 3,
        "window_minutes": 10,
    }
    assert ZHANG_MOBILE not in str(alert.after) + alert.note
    # The window runs out: three more are allowed, the next burst is a second alert.
    window = window_of(bank.user("rm_hd"))
    window.started_at -= dt.timedelta(minutes=10)
    window.save(update_fields=["started_at"])
    statuses = [api_search(client, ZHANG_MOBILE).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert BusinessEvent.objects.filter(verb="search_limit_reached").count() == 2
    assert AccessEvent.objects.filter(detail="kind=mobile refused").count() == 5


def test_compliance_finds_the_alert_in_the_audit_trail(bank, login, limits):
    client = login(bank.user("rm_hd"))
    for _ in range(4):
        api_search(client, ZHANG_ID)
    body = login(bank.user("compliance")).get("/audit/business/", {"staff": "E1001"}).content.decode()
    assert body.count("search_limit_reached") == 1
    body = login(bank.user("compliance")).get("/audit/access/", {"staff": "E1001"}).content.decode()
    assert body.count("kind=id_number results=1") == 3 and body.count("kind=id_number refused") == 1


def test_the_overall_search_limit_refuses_any_search(bank, login, limits):
    client = login(bank.user("head_office"))
    assert [api_search(client, f"z{'s' * (i % 2)}").status_code for i in range(9)] == [200] * 8 + [429]
    response = api_search(client, "zs")
    assert response.json()["detail"].startswith("Too many searches: you may search again in 10 minutes")
    assert AccessEvent.objects.count() == 0 and BusinessEvent.objects.count() == 0
    # A user's limits are their own.
    assert api_search(login(bank.user("risk")), "zs").status_code == 200


def test_an_export_by_identifier_is_limited_and_its_record_names_the_kind_only(bank, login, limits):
    client = login(bank.user("head_office"))
    response = client.get("/clients/export/", {"q": ZHANG_MOBILE, "format": "csv"})
    assert response.status_code == 200
    export_event = AccessEvent.objects.get(action="export_list")
    assert export_event.detail == "clients csv rows=1 q=%3Cmobile%3E"
    assert ZHANG_MOBILE not in str(BusinessEvent.objects.get(verb="export_made").after)
    for _ in range(2):
        api_search(client, ZHANG_MOBILE)
    refused = client.get("/clients/export/", {"q": ZHANG_MOBILE, "format": "csv"})
    assert refused.status_code == 429
    assert AccessEvent.objects.filter(action="export_list").count() == 1
    assert BusinessEvent.objects.filter(verb="export_made").count() == 1
