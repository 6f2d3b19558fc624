"""Service-level screens and API: the client page's entitlement and shortfalls (exact text), a draft's
levels edited by head office and read-only once published, and refusals that write nothing."""

from __future__ import annotations

import json
import re

import pytest

from keyclient.audit.models import BusinessEvent
from keyclient.customers.models import ServiceTeamMember
from keyclient.valuation.models import ServiceLevelGrant, TierPolicy
from keyclient.valuation.service_levels import declared_levels, default_service_levels
from keyclient.valuation.services import published_policy, start_draft

REASON = "家族办公室将把三千万资产转入我行"


def _testid(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:dd|ul|span)>', html, re.S)
    assert match, testid
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match[1])).strip()


def test_the_client_page_shows_the_entitlement_and_the_shortfall(bank, login):
    published_policy()
    zhang = bank.customers["zhang"]
    html = login(bank.user("rm_hd")).get(f"/clients/{zhang.pk}/").content.decode()
    assert _testid(html, "service-level-tier") == "私人银行"
    assert _testid(html, "service-level-source") == "客户本身的等级 · 等级政策第 1 版"
    assert _testid(html, "service-team") == "要求: 投资顾问、法律/税务顾问"
    assert _testid(html, "service-contact") == "每月"
    assert _testid(html, "service-review") == "每 3 个月"
    assert _testid(html, "service-response") == "4 小时内"
    assert _testid(html, "service-benefits") == "费用减免、网点优先通道、贵宾室、客户活动"
    assert _testid(html, "service-shortfalls") == "私人银行客户没有服务团队"
    assert 'data-testid="service-grant-open"' not in html  # an RM does not grant


def test_the_client_page_shows_a_grant_and_no_shortfall_once_the_team_is_complete(bank, login):
    zhao = bank.customers["zhao"]  # diamond, rm_pd's client in Shanghai
    head = login(bank.user("head_office"))
    response = head.post(
        f"/tiers/clients/{zhao.pk}/service-level/grant/", {"tier": "private_banking", "reason": REASON}
    )
    assert response.status_code == 302 and response["Location"] == f"/clients/{zhao.pk}/#service-level"
    for role in ("investment_advisor", "legal_tax"):
        ServiceTeamMember.objects.create(customer=zhao, member=bank.user("rm_cy"), team_role=role)
    html = login(bank.user("rm_pd")).get(f"/clients/{zhao.pk}/").content.decode()
    assert _testid(html, "service-level-tier") == "私人银行"
    assert _testid(html, "service-grant-reason") == REASON
    assert _testid(html, "service-shortfalls") == "无：该等级要求的人员均已到位。"


@pytest.mark.parametrize(
    ("persona", "code"), [("rm_pd", 404), ("admin", 404), ("rm_hd", 403), ("compliance", 403)]
)
def test_a_grant_by_anyone_but_head_office_is_refused_and_writes_nothing(bank, login, persona, code):
    zhang = bank.customers["zhang"]
    client = login(bank.user(persona))
    data = {"tier": "diamond", "reason": REASON}
    assert client.post(f"/tiers/clients/{zhang.pk}/service-level/grant/", data).status_code == code
    api = client.post(
        f"/api/customers/{zhang.pk}/service-level/grant/", json.dumps(data), content_type="application/json"
    )
    assert api.status_code == code
    assert ServiceLevelGrant.objects.count() == 0
    assert BusinessEvent.objects.filter(verb="service_level.granted").count() == 0


def test_ending_a_grant_out_of_scope_is_404_and_changes_nothing(bank, login):
    from keyclient.valuation.service_grants import grant_service_level

    grant = grant_service_level(
        actor=bank.user("head_office"), customer=bank.customers["zhang"], tier="diamond", reason=REASON
    )
    client = login(bank.user("rm_pd"))
    assert client.post(f"/tiers/service-grants/{grant.pk}/end/", {"reason": REASON}).status_code == 404
    zhang = bank.customers["zhang"]
    api = client.post(
        f"/api/customers/{zhang.pk}/service-level/grant/end/",
        json.dumps({"reason": REASON}),
        content_type="application/json",
    )
    assert api.status_code == 404
    assert ServiceLevelGrant.objects.get(pk=grant.pk).ended_at is None
    assert BusinessEvent.objects.filter(verb="service_level.ended").count() == 0
    head = login(bank.user("head_office"))
    assert head.post(f"/tiers/service-grants/{grant.pk}/end/", {"reason": REASON}).status_code == 302
    assert ServiceLevelGrant.objects.get(pk=grant.pk).ended_at is not None


def _form_post(levels: dict) -> dict:
    data: dict = {}
    for tier, level in levels.items():
        for key, value in level.items():
            if isinstance(value, bool):
                if value:
                    data[f"{tier}-{key}"] = "on"
            elif isinstance(value, list):
                data[f"{tier}-{key}"] = value
            else:
                data[f"{tier}-{key}"] = str(value)
    return data


def test_head_office_edits_a_drafts_levels_and_a_published_version_stays_read_only(bank, login):
    head_user = bank.user("head_office")
    published_policy()
    draft = start_draft(actor=head_user)
    head = login(head_user)
    levels = default_service_levels()
    levels["gold"]["contact_every_months"] = 4
    levels["gold"]["benefits"] = ["fee_waiver", "events"]
    response = head.post(f"/tiers/policy/{draft.version}/service-levels/", _form_post(levels))
    assert response.status_code == 302
    assert declared_levels(TierPolicy.objects.get(pk=draft.pk).rules)["gold"] == {
        **default_service_levels()["gold"],
        "contact_every_months": 4,
        "benefits": ["fee_waiver", "events"],
    }
    assert BusinessEvent.objects.filter(verb="service_levels.edited").count() == 1

    # Version 1 is published: shown as a table, a POST is refused with 409 and changes nothing.
    page = head.get("/tiers/policy/1/service-levels/")
    assert page.status_code == 200 and 'data-testid="service-levels-table"' in page.content.decode()
    before = TierPolicy.objects.get(version=1).rules
    assert head.post("/tiers/policy/1/service-levels/", _form_post(levels)).status_code == 409
    assert TierPolicy.objects.get(version=1).rules == before
    put = head.put(
        "/api/tier-policies/1/service-levels/",
        json.dumps({"service_levels": levels}),
        content_type="application/json",
    )
    assert put.status_code == 400
    assert TierPolicy.objects.get(version=1).rules == before
    assert BusinessEvent.objects.filter(verb="service_levels.edited").count() == 1

    # An RM may not open the screen at all.
    assert login(bank.user("rm_hd")).get(f"/tiers/policy/{draft.version}/service-levels/").status_code == 403


def test_a_wrong_value_is_shown_on_its_field_and_nothing_is_saved(bank, login):
    draft = start_draft(actor=bank.user("head_office"))
    levels = default_service_levels()
    levels["mass"]["team_roles"] = ["credit_officer"]
    response = login(bank.user("head_office")).post(
        f"/tiers/policy/{draft.version}/service-levels/", _form_post(levels), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert (
        "service_levels.mass: team roles are asked but no service team is required"
        in response.content.decode()
    )
    assert TierPolicy.objects.get(pk=draft.pk).rules == draft.rules
    assert BusinessEvent.objects.filter(verb="service_levels.edited").count() == 0


def test_the_api_returns_the_entitlement(bank, login):
    published_policy()
    zhang = bank.customers["zhang"]
    body = (
        login(bank.user("rm_hd"))
        .get(f"/api/customers/{zhang.pk}/service-level/", HTTP_ACCEPT_LANGUAGE="en")
        .json()
    )
    assert body == {
        "dedicated_rm": True, "service_team": True, "team_roles": ["investment_advisor", "legal_tax"],
        "senior_sponsor": False, "contact_every_months": 1, "review_every_months": 3, "needs_review_every_months": 6,
        "response_hours": 4, "benefits": ["fee_waiver", "priority_lane", "lounge", "events"],
        "tier": "private_banking", "level_tier": "private_banking", "policy_version": 1, "source": "tier",
        "grant": None, "shortfalls": [{"code": "no_team", "text": "Private banking without a service team"}],
    }  # fmt: skip
