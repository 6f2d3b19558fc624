"""The client API: scoped, masked, and described by the committed schema."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command

from tests.personas import add_history


def test_api_list_is_scoped(bank, login):
    response = login(bank.user("rm_hd2")).get("/api/customers/")
    assert response.status_code == 200
    assert [row["customer_no"] for row in response.json()["results"]] == ["6200000005", "6200000002"]
    assert response.json()["count"] == 2


def test_api_list_filters_and_search(bank, login):
    client = login(bank.user("head_office"))
    assert [r["name"] for r in client.get("/api/customers/?q=zs").json()["results"]] == ["张三"]
    assert [r["name"] for r in client.get("/api/customers/?tier=diamond").json()["results"]] == ["赵六"]
    response = client.get("/api/customers/?tier=nonsense")
    assert response.status_code == 400
    assert "tier" in response.json()


def test_api_detail_masks_personal_fields(bank, login):
    zhang = bank.customers["zhang"]
    data = login(bank.user("rm_hd")).get(f"/api/customers/{zhang.pk}/").json()
    assert data["id_number"] == "110108********1235"
    assert data["mobile"] == "138****1234"
    assert data["tier"] == "private_banking"
    assert data["aum"] == "12000000.00"


def test_api_detail_out_of_scope_is_404(bank, login):
    zhao = bank.customers["zhao"]
    client = login(bank.user("rm_hd"))
    for suffix in ("", "holdings/", "balances/", "links/"):
        assert client.get(f"/api/customers/{zhao.pk}/{suffix}").status_code == 404, suffix


def test_api_anonymous_is_refused(bank, client):
    assert client.get("/api/customers/").status_code == 403
    assert client.get(f"/api/customers/{bank.customers['zhang'].pk}/").status_code == 403


def test_api_holdings_and_balances(bank, login):
    zhang = bank.customers["zhang"]
    add_history(zhang)
    client = login(bank.user("rm_hd"))
    holdings = client.get(f"/api/customers/{zhang.pk}/holdings/").json()
    assert [(h["product_code"], h["balance"]) for h in holdings] == [
        ("WMP-180", "6000000.00"),
        ("DEP-CUR", "2000000.00"),
    ]
    assert holdings[0]["account_no"].startswith("6222 **** **** ")
    balances = client.get(f"/api/customers/{zhang.pk}/balances/").json()
    assert len(balances) == 12
    assert balances[0]["as_of"] == "2025-11-30" and balances[-1]["as_of"] == "2026-10-31"


def test_api_links_hide_out_of_scope_clients(bank, login):
    from keyclient.relationships.models import CustomerLink

    zhang, zhao = bank.customers["zhang"], bank.customers["zhao"]
    CustomerLink.objects.create(
        from_customer=zhang, to_customer=zhao, link_type="household", role="spouse", source="rm_input"
    )
    links = login(bank.user("rm_hd")).get(f"/api/customers/{zhang.pk}/links/").json()
    assert links == [
        {
            "link_type": "household",
            "link_type_display": "家庭成员",
            "role": "spouse",
            "role_display": "配偶",
            "direction": "outgoing",
            "other_id": None,
            "other_name": None,
            "start_date": None,
            "source": "rm_input",
            "source_display": "客户经理录入",
        }
    ]


def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--lang", "en", "--file", str(generated), "--validate", "--fail-on-warn")
    committed = Path(__file__).resolve().parents[3] / "schema" / "openapi.yaml"
    assert generated.read_text() == committed.read_text(), "run `make schema` and commit schema/openapi.yaml"
