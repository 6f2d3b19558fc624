"""API list endpoints count the caller's scope only up to a cap (no full COUNT(*) of a big scope)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def _customer_counts(queries: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "customers_customer" in q["sql"]]


def test_api_list_count_is_capped_and_bounded(bank, login, settings):
    settings.KEYCLIENT_API_COUNT_CAP = 3
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 2}  # read per request
    client = login(bank.user("head_office"))  # head office sees all five clients
    client.get("/api/customers/")  # warm the session and the user's scope caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/customers/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["count_is_capped"] is True
    assert body["previous"] is None
    assert body["next"] == "http://testserver/api/customers/?page=2"
    assert len(body["results"]) == 2
    counts = _customer_counts(captured.captured_queries)
    assert len(counts) == 1
    assert "LIMIT 4" in counts[0].upper()  # cap + 1, inside the counted subquery
    assert len(captured.captured_queries) == 4  # session, user, capped count, page


def test_api_list_last_counted_page_has_no_next(bank, login, settings):
    settings.KEYCLIENT_API_COUNT_CAP = 3
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 2}  # read per request
    client = login(bank.user("head_office"))
    body = client.get("/api/customers/?page=2").json()
    assert (body["count"], body["count_is_capped"], len(body["results"])) == (3, True, 2)
    assert body["next"] is None
    assert body["previous"] == "http://testserver/api/customers/"
    past = client.get("/api/customers/?page=3")
    assert past.status_code == 404
    assert client.get("/api/customers/?page=abc").status_code == 404
    assert client.get("/api/customers/?page=0").status_code == 404


def test_api_list_under_the_cap_counts_exactly(bank, login, settings):
    settings.KEYCLIENT_API_COUNT_CAP = 10
    body = login(bank.user("rm_hd2")).get("/api/customers/").json()
    assert (body["count"], body["count_is_capped"], body["next"], body["previous"]) == (2, False, None, None)


def test_every_api_list_uses_the_capped_paginator(bank, login, settings):
    settings.KEYCLIENT_API_COUNT_CAP = 3
    client = login(bank.user("head_office"))
    for url in ("/api/customers/", "/api/contacts/", "/api/tier-overrides/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "count_is_capped" in response.json(), url


def test_api_refuses_a_multipart_body_without_parts(bank, login):
    from keyclient.customers.models import ContactPoint

    zhang = bank.customers["zhang"]
    contact = ContactPoint.objects.create(customer=zhang, kind="email", value="z@example.com", label="")
    boundary = "b0undary"
    response = login(bank.user("rm_hd")).patch(
        f"/api/contacts/{contact.pk}/",
        data=f"--{boundary}\r\n1.0e+16--{boundary}--\r\n",
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    contact.refresh_from_db()
    assert (contact.kind, contact.value, contact.label) == ("email", "z@example.com", "")


def test_api_accepts_an_empty_multipart_form(bank, login):
    from keyclient.customers.models import ContactPoint

    contact = ContactPoint.objects.create(
        customer=bank.customers["zhang"], kind="email", value="z@example.com"
    )
    response = login(bank.user("rm_hd")).patch(
        f"/api/contacts/{contact.pk}/",
        data="--b0undary--\r\n",
        content_type="multipart/form-data; boundary=b0undary",
    )
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["kind"]) == (contact.pk, "email")
