"""Client pages, unmasked values, exports and API answers are never cached (`Cache-Control: no-store`)."""

from __future__ import annotations

import pytest


def no_store(response) -> bool:  # type: ignore[no-untyped-def]
    return "no-store" in [part.strip() for part in response.get("Cache-Control", "").split(",")]


@pytest.mark.unmasks  # the unmask answer shows the own client's mobile in clear
def test_client_pages_unmask_answers_exports_and_the_api_are_not_stored(bank, login):
    zhang = bank.customers["zhang"]
    client = login(bank.user("rm_hd"))
    answers = {
        "list": client.get("/clients/"),
        "search": client.get("/clients/", {"q": "张"}),
        "360": client.get(f"/clients/{zhang.pk}/"),
        "unmask": client.post(
            f"/clients/{zhang.pk}/unmask/", {"field": "mobile", "reason": "客户来电核实身份"}
        ),
        "refused unmask": client.post(f"/clients/{zhang.pk}/unmask/", {"field": "mobile", "reason": "a.b."}),
        "export": login(bank.user("lead_hd")).get("/clients/export/", {"format": "csv"}),
        "api list": client.get("/api/customers/"),
        "api detail": client.get(f"/api/customers/{zhang.pk}/"),
        "out of scope": client.get(f"/clients/{bank.customers['zhao'].pk}/"),
    }
    assert {name: r.status_code for name, r in answers.items()} == {
        "list": 200,
        "search": 200,
        "360": 200,
        "unmask": 200,
        "refused unmask": 400,
        "export": 200,
        "api list": 200,
        "api detail": 200,
        "out of scope": 404,
    }
    assert [name for name, r in answers.items() if not no_store(r)] == []
    assert answers["360"]["Cache-Control"] == "no-store, private"


def test_the_login_page_is_not_stored_either(client, db):
    assert no_store(client.get("/login/"))
