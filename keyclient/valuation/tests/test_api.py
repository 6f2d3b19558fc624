"""The valuation API: the value breakdown, tier requests with a second person's approval, prominence
facts. Out of scope is 404, a role that may not is 403, bad input is 400 naming the field, and a
refused call writes nothing."""

from __future__ import annotations

import json

import pytest

from keyclient.audit.models import BusinessEvent
from keyclient.customers.models import Customer
from keyclient.valuation.models import ProminenceFact, TierOverride
from keyclient.valuation.services import request_override
from keyclient.valuation.tests.scenes import EVIDENCE, two_month_ends

REASON = "客户家族企业即将上市，资金将陆续转入我行"


@pytest.fixture
def lake(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return settings.KEYCLIENT_LAKE_DIR


@pytest.fixture(autouse=True)
def english(settings):  # type: ignore[no-untyped-def]
    """Messages in English (the API speaks the caller's language, Chinese by default)."""
    settings.LANGUAGE_CODE = "en"


def post(client, url: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def written() -> tuple[int, int, int, list]:
    return (
        TierOverride.objects.count(),
        ProminenceFact.objects.count(),
        BusinessEvent.objects.count(),
        list(Customer.objects.order_by("pk").values_list("tier", flat=True)),
    )


# --- the value breakdown -------------------------------------------------------------------------


def test_value_breakdown_with_the_previous_month(bank, login, lake):
    two_month_ends(bank)
    wang = bank.customers["wang"]
    body = login(bank.user("rm_cy")).get(f"/api/customers/{wang.pk}/value/").json()
    assert body["customer"] == wang.pk
    assert body["standing"] == {
        "tier": "gold", "state": "watch", "as_of": "2026-02-28", "qualified_tier": "mass", "rule_tier": "gold",
        "policy_version": 1, "basis": "40000.00", "months_below": 1, "downgrade_months": 3,
        "bar": {"min_aum": "50000.00"},
    }  # fmt: skip
    value = body["value"]
    assert {k: value[k] for k in ("as_of", "policy_version", "value_score", "previous_as_of", "value_moved")} == {
        "as_of": "2026-02-28", "policy_version": 1, "value_score": "50.00", "previous_as_of": "2026-01-31",
        "value_moved": "-50.00",
    }  # fmt: skip
    assert (value["clv"], value["retention"]) == ("44859.18", "0.9000")
    assert value["indicators"] == {
        "contribution": {"score": "50.00", "previous_score": "100.00", "weight": "0.50", "share": "0.5000",
                         "points": "25.00", "moved": "-25.00", "contribution_12m": "15000.00",
                         "contribution_trend": "0.0000"},
        "risk": {"score": "0.00", "previous_score": "0.00", "weight": "0.30", "share": "-0.3000", "points": "0.00",
                 "moved": "0.00", "worst_loan_class": "", "max_overdue_days": 0, "concentration": "0.0000",
                 "risk_flags": 0, "kyc_stale": False},
        "prominence": {"score": "40.00", "previous_score": "0.00", "weight": "0.20", "share": "0.2000",
                       "points": "8.00", "moved": "8.00", "prominence_points": 40},
        "relatedness": {"score": "73.00", "previous_score": "73.00", "weight": "0.30", "share": "0.3000",
                        "points": "21.90", "moved": "0.00", "link_count": 1, "linked_aum": "800000.00",
                        "linked_contribution": "19998.00"},
    }  # fmt: skip
    assert [(f["kind"], f["evidence"], f["recorded_by"]) for f in body["prominence_facts"]] == [
        ("industry_leader", EVIDENCE, "E1004")
    ]
    assert [(h["as_of"], h["tier"], h["state"], h["qualified_tier"], h["months_below"], h["value_score"])
            for h in body["history"]] == [
        ("2026-02-28", "gold", "watch", "mass", 1, "50.00"),
        ("2026-01-31", "gold", "active", "gold", 0, "100.00"),
    ]  # fmt: skip


def test_value_before_the_first_month_end(bank, login):
    zhang = bank.customers["zhang"]
    body = login(bank.user("rm_hd")).get(f"/api/customers/{zhang.pk}/value/").json()
    assert body == {
        "customer": zhang.pk,
        "standing": {"tier": "private_banking", "state": None, "as_of": None, "qualified_tier": "",
                     "rule_tier": "", "policy_version": None, "basis": None, "months_below": 0,
                     "downgrade_months": None, "bar": {}},
        "value": None,
        "prominence_facts": [],
        "history": [],
    }  # fmt: skip


@pytest.mark.parametrize(("persona", "status"), [("rm_pd", 404), ("admin", 404), ("compliance", 200)])
def test_value_is_scoped(bank, login, persona, status):
    response = login(bank.user(persona)).get(f"/api/customers/{bank.customers['zhang'].pk}/value/")
    assert response.status_code == status


def test_value_of_an_unknown_client_is_404_too(bank, login):
    assert login(bank.user("head_office")).get("/api/customers/999999/value/").status_code == 404


# --- tier requests -------------------------------------------------------------------------------


def test_request_then_a_second_person_approves(bank, login):
    li = bank.customers["li"]
    response = post(
        login(bank.user("rm_hd2")),
        "/api/tier-overrides/",
        {"customer": li.pk, "kind": "override", "tier": "diamond", "reason": REASON},
    )
    assert response.status_code == 201
    body = response.json()
    override = TierOverride.objects.get()
    assert {k: body[k] for k in ("id", "customer", "customer_no", "kind", "tier", "tier_before", "status",
                                 "requested_by", "decided_by")} == {
        "id": override.pk, "customer": li.pk, "customer_no": "6200000002", "kind": "override", "tier": "diamond",
        "tier_before": "platinum", "status": "pending", "requested_by": "E1002", "decided_by": None,
    }  # fmt: skip
    requested = BusinessEvent.objects.get(verb="tier_override.requested")
    assert (requested.before, requested.after) == (
        {"tier": "platinum"},
        {"kind": "override", "tier": "diamond", "id": override.pk},
    )

    response = post(
        login(bank.user("lead_hd")), f"/api/tier-overrides/{override.pk}/approve/", {"note": "同意"}
    )
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("status", "decided_by", "decision_note")} == {
        "status": "approved", "decided_by": "E1003", "decision_note": "同意",
    }  # fmt: skip
    assert Customer.objects.get(pk=li.pk).tier == "diamond"
    changed = BusinessEvent.objects.get(verb="tier.changed")
    assert (changed.actor_name, changed.before, changed.after) == (
        "E1003",
        {"tier": "platinum"},
        {"tier": "diamond"},
    )

    value = login(bank.user("rm_hd2")).get(f"/api/customers/{li.pk}/value/").json()
    # in force at once, before any month-end run
    assert (value["standing"]["tier"], value["standing"]["state"]) == ("diamond", "override")


def test_the_requester_cannot_approve_their_own_request(bank, login):
    override = request_override(
        actor=bank.user("lead_hd"), customer=bank.customers["zhang"], kind="disqualify", reason=REASON
    )
    before = written()
    response = post(login(bank.user("lead_hd")), f"/api/tier-overrides/{override.pk}/approve/")
    assert response.status_code == 403
    assert response.json() == {"detail": "A second person must decide: you made this request."}
    assert written() == before
    assert TierOverride.objects.get(pk=override.pk).status == "pending"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"customer": "李四", "kind": "override", "tier": "diamond", "reason": REASON},
         {"customer": ["A valid integer is required."]}),
        ({"kind": "override", "tier": "diamond", "reason": REASON}, {"customer": ["This field is required."]}),
        ({"customer": 0, "kind": "promote", "reason": REASON}, {"kind": ['"promote" is not a valid choice.']}),
        ({"customer": 0, "kind": "override", "tier": "diamond", "reason": "太短"},
         {"reason": ["Give a reason of at least 10 characters."]}),
        ({"customer": 0, "kind": "override", "tier": "strategic_branch", "reason": REASON},
         {"tier": ["'strategic_branch' is not a tier for this kind of client."]}),
        ({"customer": 0, "kind": "override", "tier": "", "reason": ""},
         {"reason": ["Give a reason of at least 10 characters."],
          "tier": ["Choose the tier to set."]}),
    ],
)  # fmt: skip
def test_bad_input_is_400_naming_the_field_and_writes_nothing(bank, login, data, errors):
    if data.get("customer") == 0:
        data["customer"] = bank.customers["li"].pk
    before = written()
    response = post(login(bank.user("rm_hd2")), "/api/tier-overrides/", data)
    assert response.status_code == 400
    assert response.json() == errors
    assert written() == before


def test_a_second_open_request_is_400(bank, login):
    li = bank.customers["li"]
    request_override(actor=bank.user("rm_hd2"), customer=li, kind="disqualify", reason=REASON)
    before = written()
    response = post(
        login(bank.user("rm_hd2")), "/api/tier-overrides/", {"customer": li.pk, "kind": "override", "tier": "diamond",
                                                             "reason": REASON}
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["This client already has an open tier request: decide or end it first."]
    }
    assert written() == before


@pytest.mark.parametrize(
    ("persona", "status"), [("rm_pd", 404), ("rm_hd", 404), ("admin", 404), ("compliance", 403)]
)
def test_requests_outside_the_scope_or_role_are_refused(bank, login, persona, status):
    li = bank.customers["li"]
    before = written()
    response = post(
        login(bank.user(persona)),
        "/api/tier-overrides/",
        {"customer": li.pk, "kind": "override", "tier": "diamond", "reason": REASON},
    )
    assert response.status_code == status
    assert written() == before


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rm_pd", 404), ("rm_hd", 404), ("admin", 404), ("rm_hd2", 403), ("risk", 403), ("compliance", 403)],
)
def test_who_may_not_decide_gets_404_or_403_and_nothing_changes(bank, login, persona, status):
    override = request_override(
        actor=bank.user("rm_hd2"),
        customer=bank.customers["li"],
        kind="override",
        tier="diamond",
        reason=REASON,
    )
    before = written()
    client = login(bank.user(persona))
    for verb in ("approve", "reject"):
        assert (
            post(client, f"/api/tier-overrides/{override.pk}/{verb}/", {"note": "无权决定"}).status_code
            == status
        )
    assert written() == before
    assert TierOverride.objects.get(pk=override.pk).status == "pending"


def test_reject_needs_a_note(bank, login):
    override = request_override(
        actor=bank.user("rm_hd2"),
        customer=bank.customers["li"],
        kind="override",
        tier="diamond",
        reason=REASON,
    )
    client = login(bank.user("head_bj"))
    before = written()
    response = post(client, f"/api/tier-overrides/{override.pk}/reject/", {"note": "  "})
    assert (response.status_code, response.json()) == (400, {"note": ["Say why the request is rejected."]})
    assert written() == before
    response = post(client, f"/api/tier-overrides/{override.pk}/reject/", {"note": "资金来源尚未核实"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert Customer.objects.get(pk=override.customer_id).tier == "platinum"
    response = post(client, f"/api/tier-overrides/{override.pk}/approve/")
    assert (response.status_code, response.json()) == (
        400,
        {"non_field_errors": ["This request is already Rejected."]},
    )


def test_end_an_approved_override(bank, login):
    li = bank.customers["li"]
    override = request_override(
        actor=bank.user("rm_hd2"), customer=li, kind="override", tier="diamond", reason=REASON
    )
    assert post(login(bank.user("lead_hd")), f"/api/tier-overrides/{override.pk}/approve/").status_code == 200
    client = login(bank.user("rm_hd2"))
    before = written()
    response = post(client, f"/api/tier-overrides/{override.pk}/end/", {"reason": "短"})
    assert (response.status_code, response.json()) == (
        400,
        {"reason": ["Give a reason of at least 10 characters."]},
    )
    assert written() == before
    response = post(
        client, f"/api/tier-overrides/{override.pk}/end/", {"reason": "上市计划取消，恢复规则等级"}
    )
    assert response.status_code == 200 and response.json()["status"] == "ended"
    assert Customer.objects.get(pk=li.pk).tier == "platinum"
    assert post(login(bank.user("compliance")), f"/api/tier-overrides/{override.pk}/end/",
                {"reason": "上市计划取消，恢复规则等级"}).status_code == 403  # fmt: skip


def test_the_list_is_scoped_and_filters_by_status(bank, login):
    c, u = bank.customers, bank.user
    li = request_override(actor=u("rm_hd2"), customer=c["li"], kind="override", tier="diamond", reason=REASON)
    zhao = request_override(actor=u("rm_pd"), customer=c["zhao"], kind="disqualify", reason=REASON)
    wang = request_override(
        actor=u("rm_cy"), customer=c["wang"], kind="override", tier="platinum", reason=REASON
    )
    TierOverride.objects.filter(pk=wang.pk).update(status="rejected")

    def ids(persona: str, query: str = "") -> list[int]:
        response = login(u(persona)).get(f"/api/tier-overrides/{query}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids("head_office") == [wang.pk, zhao.pk, li.pk]  # newest first
    assert ids("head_office", "?status=pending") == [zhao.pk, li.pk]
    assert ids("head_office", "?status=rejected&kind=override") == [wang.pk]
    assert ids("head_bj") == [wang.pk, li.pk]
    assert ids("lead_hd", "?status=pending") == [li.pk]
    assert ids("rm_hd") == []
    assert ids("admin") == []
    assert ids("head_office", f"?customer={c['zhao'].pk}") == [zhao.pk]
    assert ids("head_bj", f"?customer={c['zhao'].pk}") == []  # out of scope: empty, like an unknown client
    response = login(u("head_office")).get("/api/tier-overrides/?status=open")
    assert response.status_code == 400 and list(response.json()) == ["status"]
    assert login(u("head_bj")).get(f"/api/tier-overrides/{zhao.pk}/").status_code == 404


# --- prominence facts ----------------------------------------------------------------------------


def test_prominence_facts_list_create_withdraw(bank, login):
    zhang = bank.customers["zhang"]
    client = login(bank.user("rm_hd"))
    url = f"/api/customers/{zhang.pk}/prominence-facts/"
    response = post(client, url, {"kind": "listed_executive", "evidence": "某上市公司2025年年报披露的董事"})
    assert response.status_code == 201
    fact = ProminenceFact.objects.get()
    assert response.json() | {"recorded_at": None} == {
        "id": fact.pk, "customer": zhang.pk, "kind": "listed_executive", "evidence": "某上市公司2025年年报披露的董事",
        "recorded_by": "E1001", "recorded_by_name": "孙一", "recorded_at": None, "withdrawn_at": None,
    }  # fmt: skip
    assert [f["id"] for f in client.get(url).json()] == [fact.pk]

    response = post(client, f"{url}{fact.pk}/withdraw/")
    assert response.status_code == 200 and response.json()["withdrawn_at"] is not None
    assert [(f["id"], f["withdrawn_at"] is not None) for f in client.get(url).json()] == [(fact.pk, True)]
    assert list(BusinessEvent.objects.values_list("verb", flat=True).order_by("id")) == [
        "prominence.recorded",
        "prominence.withdrawn",
    ]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"kind": "celebrity", "evidence": "某上市公司2025年年报披露的董事"}, {"kind": ['"celebrity" is not a valid choice.']}),
        ({"kind": "media", "evidence": "新闻"},
         {"evidence": ["Say where this is known from (at least 10 characters)."]}),
        ({"evidence": "某上市公司2025年年报披露的董事"}, {"kind": ["This field is required."]}),
    ],
)  # fmt: skip
def test_prominence_bad_input_is_400_and_writes_nothing(bank, login, data, errors):
    before = written()
    response = post(
        login(bank.user("rm_hd")), f"/api/customers/{bank.customers['zhang'].pk}/prominence-facts/", data
    )
    assert (response.status_code, response.json()) == (400, errors)
    assert written() == before


@pytest.mark.parametrize(("persona", "status"), [("rm_pd", 404), ("admin", 404), ("compliance", 403)])
def test_prominence_writes_outside_the_scope_or_role_are_refused(bank, login, persona, status):
    zhang = bank.customers["zhang"]
    fact = ProminenceFact.objects.create(
        customer=zhang, kind="media", evidence=EVIDENCE, recorded_by=bank.user("rm_hd")
    )
    before = written()
    client = login(bank.user(persona))
    url = f"/api/customers/{zhang.pk}/prominence-facts/"
    assert post(client, url, {"kind": "media", "evidence": EVIDENCE}).status_code == status
    assert post(client, f"{url}{fact.pk}/withdraw/").status_code == status
    assert written() == before
    assert ProminenceFact.objects.get(pk=fact.pk).withdrawn_at is None


def test_a_fact_of_another_client_is_404_under_this_one(bank, login):
    zhang, li = bank.customers["zhang"], bank.customers["li"]
    fact = ProminenceFact.objects.create(
        customer=li, kind="media", evidence=EVIDENCE, recorded_by=bank.user("rm_hd2")
    )
    response = post(
        login(bank.user("lead_hd")), f"/api/customers/{zhang.pk}/prominence-facts/{fact.pk}/withdraw/"
    )
    assert response.status_code == 404
    assert ProminenceFact.objects.get(pk=fact.pk).withdrawn_at is None
