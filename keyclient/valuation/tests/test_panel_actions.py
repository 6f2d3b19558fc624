"""Manual tier decisions and prominence facts from the client's page: POST, then back to the client;
a refused input is shown again with the error next to its field, and nothing is written."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from keyclient.audit.models import BusinessEvent
from keyclient.customers.models import Customer
from keyclient.valuation.models import ProminenceFact, TierOverride
from keyclient.valuation.services import decide_override, request_override

REASON = "客户家族企业即将上市，资金将陆续转入我行"


def english(client):  # type: ignore[no-untyped-def]
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def written() -> tuple[int, int, int]:
    return TierOverride.objects.count(), ProminenceFact.objects.count(), BusinessEvent.objects.count()


def test_rm_requests_an_override_and_is_sent_back_to_the_client(bank, login):
    li = bank.customers["li"]
    response = login(bank.user("rm_hd2")).post(
        f"/tiers/clients/{li.pk}/requests/new/", {"kind": "override", "tier": "diamond", "reason": REASON}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{li.pk}/#tier-decisions"
    override = TierOverride.objects.get()
    assert (override.customer_id, override.kind, override.tier, override.tier_before, override.status) == (
        li.pk, "override", "diamond", "platinum", "pending",
    )  # fmt: skip
    assert override.requested_by == bank.user("rm_hd2")
    event = BusinessEvent.objects.get(verb="tier_override.requested")
    assert (event.actor_name, event.customer_no, event.before, event.after, event.note) == (
        "E1002", li.customer_no, {"tier": "platinum"}, {"kind": "override", "tier": "diamond", "id": override.pk},
        REASON,
    )  # fmt: skip
    assert Customer.objects.get(pk=li.pk).tier == "platinum"  # nothing changes before approval


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "override", "tier": "diamond", "reason": "太短"}, "reason", "Give a reason of at least 10 characters."),
        # a corporate tier is not among the choices for an individual (the service says the same over the API)
        ({"kind": "override", "tier": "strategic_branch", "reason": REASON}, "tier", "Select a valid choice."),
        ({"kind": "override", "tier": "platinum", "reason": REASON}, "tier", "The client is already in this tier."),
        ({"kind": "promote", "tier": "diamond", "reason": REASON}, "kind", "Select a valid choice. promote is"),
        ({"tier": "diamond", "reason": REASON}, "kind", "This field is required."),
    ],
)  # fmt: skip
def test_a_refused_request_shows_the_error_next_to_the_field_and_writes_nothing(
    bank, login, data, field, message
):
    li = bank.customers["li"]
    before = written()
    response = english(login(bank.user("rm_hd2"))).post(f"/tiers/clients/{li.pk}/requests/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'data-testid="error-{field}">{message}' in html
    assert written() == before
    assert Customer.objects.get(pk=li.pk).tier == "platinum"


def test_a_second_open_request_is_refused(bank, login):
    li = bank.customers["li"]
    request_override(actor=bank.user("rm_hd2"), customer=li, kind="disqualify", reason=REASON)
    before = written()
    response = english(login(bank.user("lead_hd"))).post(
        f"/tiers/clients/{li.pk}/requests/new/", {"kind": "override", "tier": "diamond", "reason": REASON}
    )
    assert response.status_code == 400
    assert (
        "This client already has an open tier request: decide or end it first." in response.content.decode()
    )
    assert written() == before


def test_the_request_form_page_opens_without_javascript(bank, login):
    li = bank.customers["li"]
    response = english(login(bank.user("rm_hd2"))).get(f"/tiers/clients/{li.pk}/requests/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Request a tier decision" in html
    # the tiers of the client's kind only
    assert 'value="private_banking"' in html and 'value="strategic_branch"' not in html


@pytest.mark.parametrize(("persona", "status"), [("rm_pd", 404), ("admin", 404), ("compliance", 403)])
def test_request_outside_the_scope_or_role_is_refused_and_writes_nothing(bank, login, persona, status):
    li = bank.customers["li"]
    before = written()
    response = login(bank.user(persona)).post(
        f"/tiers/clients/{li.pk}/requests/new/", {"kind": "override", "tier": "diamond", "reason": REASON}
    )
    assert response.status_code == status
    assert written() == before


def test_withdraw_a_pending_request_and_end_an_approved_one(bank, login):
    li = bank.customers["li"]
    client = login(bank.user("rm_hd2"))
    override = request_override(
        actor=bank.user("rm_hd2"), customer=li, kind="override", tier="diamond", reason=REASON
    )
    response = client.post(f"/tiers/requests/{override.pk}/end/", {"reason": "客户改变主意，撤回申请"})
    assert response.status_code == 302 and response["Location"] == f"/clients/{li.pk}/#tier-decisions"
    override.refresh_from_db()
    assert override.status == "ended" and override.ended_at is not None
    assert Customer.objects.get(pk=li.pk).tier == "platinum"

    second = request_override(
        actor=bank.user("rm_hd2"), customer=li, kind="override", tier="diamond", reason=REASON
    )
    decide_override(actor=bank.user("lead_hd"), override=second, approve=True)
    assert Customer.objects.get(pk=li.pk).tier == "diamond"
    response = client.post(f"/tiers/requests/{second.pk}/end/", {"reason": "上市计划取消，恢复规则等级"})
    assert response.status_code == 302
    # no month-end run yet: back to the tier the client had before the decision
    assert Customer.objects.get(pk=li.pk).tier == "platinum"
    ended = BusinessEvent.objects.filter(verb="tier_override.ended").order_by("id")
    assert [(e.after, e.note) for e in ended] == [
        ({"id": override.pk, "was_approved": False}, "客户改变主意，撤回申请"),
        ({"id": second.pk, "was_approved": True}, "上市计划取消，恢复规则等级"),
    ]
    last = BusinessEvent.objects.filter(verb="tier.changed").order_by("-id").first()
    assert (last.before, last.after, last.note) == (
        {"tier": "diamond"},
        {"tier": "platinum"},
        f"tier_override:{second.pk}",
    )


def test_ending_without_a_reason_shows_the_error_and_writes_nothing(bank, login):
    li = bank.customers["li"]
    override = request_override(
        actor=bank.user("rm_hd2"), customer=li, kind="override", tier="diamond", reason=REASON
    )
    before = written()
    response = english(login(bank.user("rm_hd2"))).post(f"/tiers/requests/{override.pk}/end/", {"reason": ""})
    assert response.status_code == 400
    assert 'data-testid="error-reason">Give a reason of at least 10 characters.' in response.content.decode()
    assert written() == before
    assert TierOverride.objects.get(pk=override.pk).status == "pending"


@pytest.mark.parametrize(("persona", "status"), [("rm_pd", 404), ("rm_hd", 404), ("compliance", 403)])
def test_ending_outside_the_scope_or_role_is_refused(bank, login, persona, status):
    li = bank.customers["li"]  # rm_hd2's client: not in rm_hd's own book
    override = request_override(
        actor=bank.user("rm_hd2"), customer=li, kind="override", tier="diamond", reason=REASON
    )
    before = written()
    response = login(bank.user(persona)).post(
        f"/tiers/requests/{override.pk}/end/", {"reason": "不应被执行的结束"}
    )
    assert response.status_code == status
    assert written() == before
    assert TierOverride.objects.get(pk=override.pk).status == "pending"


def test_add_and_withdraw_a_prominence_fact(bank, login):
    zhang = bank.customers["zhang"]
    client = login(bank.user("rm_hd"))
    response = client.post(
        f"/tiers/clients/{zhang.pk}/prominence/new/",
        {"kind": "public_office", "evidence": "2024年当选区人大代表，区政府网站公示"},
    )
    assert response.status_code == 302 and response["Location"] == f"/clients/{zhang.pk}/#tier-decisions"
    fact = ProminenceFact.objects.get()
    assert (fact.kind, fact.evidence, fact.recorded_by, fact.withdrawn_at) == (
        "public_office", "2024年当选区人大代表，区政府网站公示", bank.user("rm_hd"), None,
    )  # fmt: skip
    html = client.get(f"/clients/{zhang.pk}/").content.decode()
    assert "2024年当选区人大代表，区政府网站公示" in html

    response = client.post(f"/tiers/prominence/{fact.pk}/withdraw/")
    assert response.status_code == 302
    fact.refresh_from_db()
    assert fact.withdrawn_at is not None
    assert list(
        BusinessEvent.objects.filter(customer_id=zhang.pk).values_list("verb", "before", "after")
    ) == [
        ("prominence.recorded", {}, {"id": fact.pk, "kind": "public_office", "evidence": fact.evidence}),
        ("prominence.withdrawn", {"id": fact.pk, "kind": "public_office"}, {}),
    ]
    assert "2024年当选区人大代表" not in client.get(f"/clients/{zhang.pk}/").content.decode()


def test_a_fact_without_evidence_is_refused_next_to_the_field(bank, login):
    zhang = bank.customers["zhang"]
    before = written()
    response = english(login(bank.user("rm_hd"))).post(
        f"/tiers/clients/{zhang.pk}/prominence/new/", {"kind": "media", "evidence": "新闻"}
    )
    assert response.status_code == 400
    assert 'data-testid="error-evidence">Say where this is known from (at least 10 characters).' in (
        response.content.decode()
    )
    assert written() == before


@pytest.mark.parametrize(("persona", "status"), [("rm_pd", 404), ("rm_hd2", 404), ("compliance", 403)])
def test_prominence_outside_the_scope_or_role_is_refused(bank, login, persona, status):
    zhang = bank.customers["zhang"]
    fact = ProminenceFact.objects.create(
        customer=zhang, kind="media", evidence="财经杂志2025年封面人物", recorded_by=bank.user("rm_hd")
    )
    before = written()
    client = login(bank.user(persona))
    add = client.post(
        f"/tiers/clients/{zhang.pk}/prominence/new/", {"kind": "media", "evidence": "财经杂志2025年封面人物"}
    )
    withdraw = client.post(f"/tiers/prominence/{fact.pk}/withdraw/")
    assert (add.status_code, withdraw.status_code) == (status, status)
    assert written() == before
    assert ProminenceFact.objects.get(pk=fact.pk).withdrawn_at is None
