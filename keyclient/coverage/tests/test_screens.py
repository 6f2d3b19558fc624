"""Assignment screens and API: the client page's panel, the list's bulk action, the approvals queue,
and the API's refusals (nothing written)."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from keyclient.audit.models import BusinessEvent
from keyclient.coverage.models import AssignmentRequest, Coverage, CoverageChange
from keyclient.customers.models import Customer
from keyclient.customers.services import search_keys

REASON = "book rebalanced after review"


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def _mass(bank, rm):  # type: ignore[no-untyped-def]
    return Customer.objects.create(
        customer_no="6300000901", kind="individual", name="周九", id_type="resident_id", id_number="110101199001011234",
        home_org_unit=bank.units["hd"], primary_rm=rm, tier="mass",
        **search_keys(name="周九", id_number="110101199001011234", mobile=""),
    )  # fmt: skip


def test_the_client_page_shows_the_coverage_panel(bank, login):
    zhang = bank.customers["zhang"]
    page = login(bank.user("lead_hd")).get(f"/clients/{zhang.pk}/").content.decode()
    assert 'data-testid="panel-coverage"' in page
    assert 'data-testid="coverage-change"' in page
    assert "孙一" in page and "100%" in page
    compliance = login(bank.user("compliance")).get(f"/clients/{zhang.pk}/").content.decode()
    assert 'data-testid="panel-coverage"' in compliance
    assert 'data-testid="coverage-change"' not in compliance


def test_the_list_offers_the_bulk_action_to_those_who_change(bank, login):
    page = login(bank.user("lead_hd")).get("/clients/").content.decode()
    assert 'data-testid="bulk-assign"' in page and 'data-testid="choose-client"' in page
    page = login(bank.user("compliance")).get("/clients/").content.decode()
    assert 'data-testid="bulk-assign"' not in page


def test_bulk_page_assigns_and_files_requests(bank, login):
    lead, rm, rm2 = bank.user("lead_hd"), bank.user("rm_hd"), bank.user("rm_hd2")
    mass = _mass(bank, rm2)
    li = bank.customers["li"]
    client = login(lead)
    page = client.get("/coverage/bulk/", {"ids": [mass.pk, li.pk]}).content.decode()
    assert "周九" in page and "李四" in page
    response = client.post("/coverage/bulk/", {"ids": [mass.pk, li.pk], "rm": rm.pk, "reason": REASON})
    assert response.status_code == 200
    assert (
        "已分配 1 位，1 位待审批，0 位已由该客户经理管户。" in response.content.decode()
    )  # Chinese by default
    assert Customer.objects.get(pk=mass.pk).primary_rm_id == rm.pk
    assert AssignmentRequest.objects.get(customer=li).status == "pending"


def test_bulk_page_refuses_a_client_outside_the_scope(bank, login):
    lead = bank.user("lead_hd")
    client = login(lead)
    before = (Coverage.objects.count(), CoverageChange.objects.count(), BusinessEvent.objects.count())
    # 王五 (朝阳) is outside the lead's team: the page does not show him and the POST drops him.
    page = client.get("/coverage/bulk/", {"ids": [bank.customers["wang"].pk]})
    assert page.status_code == 302
    response = client.post(
        "/coverage/bulk/", {"ids": [bank.customers["wang"].pk], "rm": lead.pk, "reason": REASON}
    )
    assert response.status_code == 302
    assert (Coverage.objects.count(), CoverageChange.objects.count(), BusinessEvent.objects.count()) == before


def test_approvals_queue_and_decision_by_another(bank, login):
    rm, rm2, lead = bank.user("rm_hd"), bank.user("rm_hd2"), bank.user("lead_hd")
    zhang = bank.customers["zhang"]
    response = login(rm).post(f"/coverage/clients/{zhang.pk}/rm/", {"rm": rm2.pk, "reason": REASON})
    assert response.status_code == 302
    change = AssignmentRequest.objects.get(customer=zhang)
    assert login(rm).get("/coverage/approvals/").status_code == 403
    queue = login(lead).get("/coverage/approvals/").content.decode()
    assert "张三" in queue and REASON in queue
    response = login(lead).post(f"/coverage/requests/{change.pk}/approve/", {"next": "/coverage/approvals/"})
    assert response.status_code == 302 and response["Location"] == "/coverage/approvals/"
    assert Customer.objects.get(pk=zhang.pk).primary_rm_id == rm2.pk


def test_api_split_refusal_names_why_and_writes_nothing(bank, login):
    head, rm, rm2 = bank.user("head_bj"), bank.user("rm_hd"), bank.user("rm_hd2")
    mass = _mass(bank, rm)
    client = login(head)
    before = (Coverage.objects.count(), CoverageChange.objects.count(), BusinessEvent.objects.count())
    response = client.post(
        f"/api/customers/{mass.pk}/coverage/split/",
        json.dumps({"split": {str(rm.pk): "50", str(rm2.pk): "40"}, "reason": REASON}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"split": ["分成合计为 90，不是 100。"]}
    assert (Coverage.objects.count(), CoverageChange.objects.count(), BusinessEvent.objects.count()) == before
    response = client.post(
        f"/api/customers/{mass.pk}/coverage/split/",
        json.dumps({"split": {str(rm.pk): "50", str(rm2.pk): "50"}, "reason": REASON}),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert [(r["staff_no"], r["role"], r["share"]) for r in body["rms"]] == [
        ("E1001", "primary", "50.00"), ("E1002", "secondary", "50.00")]  # fmt: skip


def test_api_bulk(bank, login):
    head, rm = bank.user("head_bj"), bank.user("rm_hd")
    mass = _mass(bank, None)
    response = login(head).post(
        "/api/coverage/bulk/", json.dumps({"ids": [mass.pk], "rm": rm.pk, "reason": REASON}),
        content_type="application/json",
    )  # fmt: skip
    assert response.json() == {"applied": 1, "requested": 0, "unchanged": 0}
    response = login(bank.user("rm_pd")).post(
        "/api/coverage/bulk/", json.dumps({"ids": [mass.pk], "rm": bank.user("rm_pd").pk, "reason": REASON}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403
    assert Customer.objects.get(pk=mass.pk).primary_rm_id == rm.pk
