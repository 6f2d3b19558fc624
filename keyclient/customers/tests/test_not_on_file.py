"""A client whose bank sent no name or ID shows "not on file" (未登记) everywhere it is shown, never an
empty cell, a crash or a made-up value; foreign IDs and institutions show and search like the rest."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from keyclient.audit.models import AccessEvent
from keyclient.customers.models import Customer
from keyclient.customers.services import search_keys
from tests.personas import place


@pytest.fixture
def unnamed(bank) -> Customer:
    """A client of rm_hd's book (E1001) with neither name nor ID, and a foreign-passport institution."""
    Customer.objects.create(
        customer_no="8100000001", kind="institution", name="Acme Life Insurance Ltd",
        id_type="foreign_registration", id_number="HK12345678", home_org_unit=bank.units["zgc"],
        primary_rm=bank.user("rm_hd"),
        **search_keys(name="Acme Life Insurance Ltd", id_number="HK12345678", mobile=""),
    )  # fmt: skip
    unnamed = Customer.objects.create(
        customer_no="6300000001", kind="individual", home_org_unit=bank.units["zgc"],
        primary_rm=bank.user("rm_hd"), **search_keys(name="", id_number="", mobile=""),
    )  # fmt: skip
    acme = Customer.objects.get(customer_no="8100000001")
    place({acme: Decimal("50.00"), unnamed: Decimal("100.00")}, None)
    return unnamed


def test_the_client_page_says_not_on_file(unnamed, bank, login) -> None:
    page = login(bank.user("rm_hd")).get(f"/clients/{unnamed.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<h1 data-testid="client-name"><span class="muted not-on-file">姓名未登记</span>' in html
    assert '<span class="muted not-on-file" data-testid="id-number">未登记</span>' in html
    assert "<title>未登记" in html


def test_the_list_and_search_results_say_not_on_file(unnamed, bank, login) -> None:
    client = login(bank.user("rm_hd"))
    rows = client.get("/clients/").context["page"].object_list
    assert [c.customer_no for c in rows] == ["6200000001", "6300000001", "8100000001"]
    html = client.get("/clients/?q=63000000").content.decode()
    assert f'<a href="/clients/{unnamed.pk}/"><span class="muted not-on-file">未登记</span></a>' in html
    assert [c.customer_no for c in client.get("/clients/?kind=institution").context["page"].object_list] == [
        "8100000001"
    ]
    # A foreign document's number finds its client (exact, case-insensitive), like a resident ID.
    found = client.get("/clients/?q=hk12345678").context["page"].object_list
    assert [c.customer_no for c in found] == ["8100000001"]


def test_the_export_says_not_on_file(unnamed, bank, login) -> None:
    response = login(bank.user("head_bj")).get("/clients/export/?format=csv&q=63000000")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r[0], r[1], r[2]) for r in rows[2:]] == [("6300000001", "未登记", "个人")]


def test_the_api_sends_null_and_says_not_on_file(unnamed, bank, login) -> None:
    client = login(bank.user("rm_hd"))
    data = client.get(f"/api/customers/{unnamed.pk}/").json()
    assert (data["name"], data["name_display"], data["id_type"], data["id_type_display"], data["id_number"]) == (
        None, "未登记", None, "未登记", None,
    )  # fmt: skip
    listed = {
        r["customer_no"]: (r["name"], r["name_display"])
        for r in client.get("/api/customers/").json()["results"]
    }
    assert listed["6300000001"] == (None, "未登记")
    assert listed["8100000001"] == ("Acme Life Insurance Ltd", "Acme Life Insurance Ltd")


def test_an_id_not_on_file_cannot_be_unmasked_and_nothing_is_recorded(unnamed, bank, login) -> None:
    response = login(bank.user("rm_hd")).post(
        f"/clients/{unnamed.pk}/unmask/",
        {"field": "id_number", "reason": "客户来电核实身份"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "未登记" in response.content.decode()
    assert AccessEvent.objects.count() == 0
