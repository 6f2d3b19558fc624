"""The 360 panel 客户价值与等级: exact figures against last month, the tier standing, the empty state,
what each role is offered, and its query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings as django_settings

from keyclient.valuation.models import TierOverride
from keyclient.valuation.panels import value_panel
from keyclient.valuation.services import decide_override, request_override
from keyclient.valuation.tests.scenes import EVIDENCE, FEB, JAN, two_month_ends


@pytest.fixture
def lake(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return settings.KEYCLIENT_LAKE_DIR


def panel_of(response):  # type: ignore[no-untyped-def]
    return next(p for p in response.context["panels"] if p.key == "value")


def english(client):  # type: ignore[no-untyped-def]
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_panel_shows_each_indicator_its_weight_points_and_move(bank, login, lake):
    two_month_ends(bank)
    wang = bank.customers["wang"]
    response = login(bank.user("rm_cy")).get(f"/clients/{wang.pk}/")
    assert response.status_code == 200
    ctx = panel_of(response).context
    b = ctx["b"]
    assert (b.latest.as_of, b.previous.as_of) == (FEB, JAN)
    assert (b.latest.value_score, b.value_moved) == (Decimal("50.00"), Decimal("-50.00"))
    assert b.parts_total == Decimal("54.90")
    assert (b.latest.clv, b.latest.retention) == (Decimal("44859.18"), Decimal("0.9000"))
    assert [(p.key, p.score, p.weight, p.share, p.part, p.previous_part, p.moved) for p in b.parts] == [
        ("contribution", Decimal("50.00"), Decimal("0.5"), Decimal("0.5000"), Decimal("25.00"), Decimal("50.00"),
         Decimal("-25.00")),
        ("risk", Decimal("0.00"), Decimal("0.3"), Decimal("-0.3000"), Decimal("0.00"), Decimal("0.00"),
         Decimal("0.00")),
        ("prominence", Decimal("40.00"), Decimal("0.2"), Decimal("0.2000"), Decimal("8.00"), Decimal("0.00"),
         Decimal("8.00")),
        ("relatedness", Decimal("73.00"), Decimal("0.3"), Decimal("0.3000"), Decimal("21.90"), Decimal("21.90"),
         Decimal("0.00")),
    ]  # fmt: skip
    # the inputs of each indicator
    v = b.latest
    assert (v.contribution_12m, v.contribution_trend) == (Decimal("15000.00"), Decimal("0.0000"))
    assert (v.worst_loan_class, v.max_overdue_days, v.concentration, v.risk_flags, v.kyc_stale) == (
        "", 0, Decimal("0.0000"), 0, False,
    )  # fmt: skip
    assert v.prominence_points == 40
    assert [(f.kind, f.evidence) for f in ctx["facts"]] == [("industry_leader", EVIDENCE)]
    assert (v.link_count, v.linked_aum, v.linked_contribution) == (
        1,
        Decimal("800000.00"),
        Decimal("19998.00"),
    )
    # the standing: 40,000 is below the 50,000 gold bar for the first month: watch, 1 of 3
    s = b.standing
    assert (s.tier, s.state, s.qualified_tier, s.rule_tier, s.months_below, s.downgrade_months) == (
        "gold", "watch", "mass", "gold", 1, 3,
    )  # fmt: skip
    assert (s.bar, s.basis, s.policy_version, s.as_of) == (
        {"min_aum": Decimal("50000")},
        Decimal("40000.00"),
        1,
        FEB,
    )
    assert [(h.as_of, h.tier, h.state, h.qualified_tier, h.value_score) for h in b.history] == [
        (FEB, "gold", "watch", "mass", Decimal("50.00")),
        (JAN, "gold", "active", "gold", Decimal("100.00")),
    ]


def test_panel_html_in_english(bank, login, lake):
    two_month_ends(bank)
    wang = bank.customers["wang"]
    html = english(login(bank.user("rm_cy"))).get(f"/clients/{wang.pk}/").content.decode()
    assert "Client value and tier" in html
    assert '<span class="kpi-value" data-testid="value-score">50.00</span>' in html
    assert "-50.00" in html
    assert 'data-testid="value-points">54.90<' in html
    assert '<span class="kpi-value" data-testid="value-clv">¥44,859.18</span>' in html
    assert "retention estimate 90.0%" in html
    assert '<span class="status state-watch" data-testid="tier-state">Watch (below the bar)</span>' in html
    assert "1 of 3 months below the bar of Gold: downgraded when the count reaches 3." in html
    assert "weighted monthly average AUM ≥ ¥50,000.00" in html
    assert "12 months ¥15,000.00 · trend 0.0%" in html
    assert "40 points: Industry leader" in html
    assert "1 linked client · their AUM ¥800,000.00 · their contribution ¥19,998.00" in html
    assert html.count('data-testid="indicator-') == 4


def test_panel_title_and_labels_are_chinese_by_default(bank, login, lake):
    two_month_ends(bank)
    html = login(bank.user("rm_cy")).get(f"/clients/{bank.customers['wang'].pk}/").content.decode()
    for label in ("客户价值与等级", "贡献度", "风险度", "知名度", "关联度", "客户生命周期价值"):
        assert label in html, label


def test_panel_empty_state_before_the_first_month_end(bank, login):
    zhang = bank.customers["zhang"]
    response = english(login(bank.user("rm_hd"))).get(f"/clients/{zhang.pk}/")
    ctx = panel_of(response).context
    assert ctx["b"].latest is None and ctx["b"].history == [] and ctx["b"].standing.state is None
    html = response.content.decode()
    assert "No month-end valuation has run for this client yet" in html
    assert '<span class="tier tier-private_banking" data-testid="tier-current">Private banking</span>' in html
    assert 'data-testid="request-form"' in html  # a decision needs no month-end run


def test_an_approved_override_shows_at_once_as_state_override(bank, login, lake):
    two_month_ends(bank)
    wang = bank.customers["wang"]
    override = request_override(
        actor=bank.user("rm_cy"),
        customer=wang,
        kind="override",
        tier="platinum",
        reason="家族企业即将上市，资金将转入我行",
    )
    decide_override(actor=bank.user("head_bj"), override=override, approve=True, note="同意")
    response = english(login(bank.user("rm_cy"))).get(f"/clients/{wang.pk}/")
    s = panel_of(response).context["b"].standing
    assert (s.tier, s.state, s.qualified_tier) == ("platinum", "override", "mass")
    html = response.content.decode()
    assert '<span class="status state-override" data-testid="tier-state">Manual override</span>' in html
    assert 'data-testid="tier-request-status">Approved</span>' in html
    assert "End this decision" in html


def test_requester_sees_the_request_waiting_for_a_second_person(bank, login):
    li = bank.customers["li"]
    request_override(
        actor=bank.user("rm_hd2"), customer=li, kind="disqualify", reason="客户已书面申请降级处理"
    )
    html = english(login(bank.user("rm_hd2"))).get(f"/clients/{li.pk}/").content.decode()
    assert "you made this request, so someone else decides it" in html
    assert 'data-testid="approve"' not in html
    assert 'data-testid="request-form"' not in html  # one open request at a time
    assert 'data-testid="end-open"' in html


@pytest.mark.parametrize(
    ("persona", "approve", "request_form", "prominence_form"),
    [
        ("lead_hd", True, False, True),  # the team lead of the requester: may decide
        ("head_office", True, False, True),
        ("risk", False, False, True),  # may change clients, not decide tier requests
        ("compliance", False, False, False),  # reads only
    ],
)
def test_what_each_role_is_offered(bank, login, persona, approve, request_form, prominence_form):
    li = bank.customers["li"]
    request_override(
        actor=bank.user("rm_hd2"), customer=li, kind="disqualify", reason="客户已书面申请降级处理"
    )
    response = login(bank.user(persona)).get(f"/clients/{li.pk}/")
    ctx = panel_of(response).context
    html = response.content.decode()
    assert ('data-testid="approve"' in html) is approve
    assert ctx["can_decide"] is approve
    assert ('data-testid="request-form"' in html) is request_form
    assert (ctx["prominence_form"] is not None) is prominence_form
    assert ('data-testid="end-open"' in html) is (persona != "compliance")


def test_compliance_sees_the_figures_but_no_form(bank, login, lake):
    two_month_ends(bank)
    html = login(bank.user("compliance")).get(f"/clients/{bank.customers['wang'].pk}/").content.decode()
    assert 'data-testid="value-score">50.00<' in html
    assert "<form" not in html.split('data-testid="panel-value"')[1].split("</section>")[0]


def test_panel_queries_are_bounded(bank, lake, django_assert_num_queries):
    two_month_ends(bank)
    wang = bank.customers["wang"]
    override = request_override(
        actor=bank.user("rm_cy"),
        customer=wang,
        kind="override",
        tier="platinum",
        reason="家族企业即将上市，资金将转入我行",
    )
    decide_override(actor=bank.user("head_bj"), override=override, approve=True)
    TierOverride.objects.filter(pk=override.pk).update(
        status="ended", ended_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    )
    for _n in range(3):  # more history changes nothing
        request_override(
            actor=bank.user("rm_cy"), customer=wang, kind="disqualify", reason="客户已书面申请降级处理"
        )
        TierOverride.objects.filter(customer=wang, status="pending").update(status="rejected")
    # requests (with requester and decider), value scores, tier assignments, policy versions, facts
    with django_assert_num_queries(5):
        panel = value_panel(user=bank.user("rm_cy"), customer=wang)
    assert len(panel.context["past_requests"]) == 4


def test_panel_queries_before_the_first_run(bank, django_assert_num_queries):
    with django_assert_num_queries(4):  # no policy to read without a month-end row
        value_panel(user=bank.user("rm_hd"), customer=bank.customers["zhang"])
