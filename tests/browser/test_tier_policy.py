"""The tier policy in a real browser: head office starts a draft, raises the gold bar, sees the what-if
change and publishes it; an RM is refused the policy page; the Pareto page draws its Lorenz curves."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MONTH_END = dt.date(2026, 1, 31)
FIGURES = {
    "6200000001": {"deposit_madb": 10_000_000},  # 张三: private banking
    "6200000002": {"deposit_madb": 600_000},  # 李四: platinum
    "6200000003": {"deposit_madb": 60_000},  # 王五: gold, 10,000 above the bar
    "6200000004": {"deposit_madb": 7_000_000},  # 赵六: diamond
    "6200000005": {"deposit_madb": 3_000_000},  # 钱七: platinum
}


@pytest.fixture
def month_end(bank, settings, tmp_path):  # type: ignore[no-untyped-def]
    """One month-end run kept in a private lake (the live server runs in this process and sees it)."""
    from keyclient.valuation.tests.monthly import run_month

    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    run_month(MONTH_END, FIGURES)
    return MONTH_END


def page_errors(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Script errors and CSP violations from now on (HTTP statuses are asserted where they matter: the
    form answers 400 on purpose, and no favicon is served)."""
    found: list[str] = []
    page.on(
        "console",
        lambda m: (
            found.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: found.append(str(e)))
    return found


def test_head_office_drafts_tries_and_publishes_a_higher_gold_bar(month_end, page, log_in, artifacts) -> None:  # type: ignore[no-untyped-def]
    from keyclient.audit.models import BusinessEvent
    from keyclient.valuation.models import TierPolicy

    errors = page_errors(page)
    log_in("E1007")  # head office
    nav = page.locator("nav.mainnav")
    expect(nav.get_by_role("link", name="分层政策")).to_be_visible()
    with page.expect_navigation():
        nav.get_by_role("link", name="分层政策").click()
    expect(page.locator("h1")).to_have_text("分层政策")
    expect(page.locator("[data-testid=rules-individual]")).to_contain_text("50,000")

    with page.expect_navigation():
        page.locator("[data-testid=start-draft]").click()
    expect(page).to_have_url(re.compile(r"/tiers/policy/2/edit/$"))
    gold = page.locator("#id_ind_gold_min_aum")
    expect(gold).to_have_value("50000")

    # The untouched draft moves nobody.
    page.goto("/tiers/policy/2/what-if/")
    expect(page.locator("[data-testid=downgrades]")).to_have_text("0")
    expect(page.locator("[data-testid=matrix-individual] td[data-from=gold][data-to=gold]")).to_have_text("1")
    expect(page.locator("[data-testid=matrix-individual] td[data-from=gold][data-to=mass]")).to_have_text("·")

    # A wrong value is named on its field and nothing is saved.
    page.goto("/tiers/policy/2/edit/")
    page.locator("#id_ind_gold_min_aum").fill("-5")
    with page.expect_navigation():
        page.locator("[data-testid=save-draft]").click()
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator(".field-error")).to_contain_text("individual.gold.min_aum")
    page.screenshot(path=str(artifacts / "tier-policy-edit.png"), full_page=True)
    assert TierPolicy.objects.get(version=2).rules["individual"]["tiers"][3]["min_aum"] == 50_000

    # Raise the gold bar to 100,000: 王五 (60,000) would leave gold.
    page.locator("#id_ind_gold_min_aum").fill("100000")
    page.locator("#id_note").fill("提高金卡门槛")
    with page.expect_navigation():
        page.locator("[data-testid=save-draft]").click()
    expect(page).to_have_url(re.compile(r"/tiers/policy/2/what-if/$"))
    expect(page.locator("[data-testid=downgrades]")).to_have_text("1")
    expect(page.locator("[data-testid=matrix-individual] td[data-from=gold][data-to=mass]")).to_have_text("1")
    expect(page.locator("[data-testid=matrix-individual] td[data-from=gold][data-to=gold]")).to_have_text("·")
    expect(page.locator("[data-testid=branch-moves]")).to_contain_text("北京分行")
    expect(page.locator("[data-testid=rm-capacity]")).to_contain_text("周一 (E1004)")
    expect(page.get_by_text("尚未制定管户标准", exact=False)).to_be_visible()
    page.screenshot(path=str(artifacts / "tier-what-if.png"), full_page=True)

    with page.expect_navigation():
        page.locator("[data-testid=publish]").click()
    expect(page).to_have_url(re.compile(r"/tiers/policy/$"))
    expect(page.locator("h2").first).to_have_text("现行：第2版")
    expect(page.locator("[data-testid=rules-individual]")).to_contain_text("100,000")
    expect(page.locator("[data-testid=policy-history]")).to_contain_text("提高金卡门槛")
    page.screenshot(path=str(artifacts / "tier-policy.png"), full_page=True)
    assert list(TierPolicy.objects.values_list("version", "status")) == [(2, "published"), (1, "retired")]
    assert list(
        BusinessEvent.objects.filter(verb__startswith="tier_policy.").values_list("verb", flat=True)
    ) == [
        "tier_policy.drafted",
        "tier_policy.edited",
        "tier_policy.published",
    ]
    assert errors == []


def test_an_rm_gets_403_on_the_policy_page(month_end, page, log_in) -> None:  # type: ignore[no-untyped-def]
    log_in("E1001")
    expect(page.locator("nav.mainnav").get_by_role("link", name="分层政策")).to_have_count(0)
    response = page.goto("/tiers/policy/")
    assert response is not None and response.status == 403
    response = page.goto("/tiers/policy/1/what-if/")
    assert response is not None and response.status == 403


def test_the_pareto_page_shows_the_lorenz_curves(month_end, page, log_in, artifacts) -> None:  # type: ignore[no-untyped-def]
    errors = page_errors(page)
    log_in("E1006")  # the Beijing branch head: four clients
    with page.expect_navigation():
        page.locator("nav.mainnav").get_by_role("link", name="帕累托分析").click()
    expect(page).to_have_url(re.compile(r"/tiers/pareto/$"))
    chart = page.locator("[data-testid=lorenz-aum]")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("data-points", "5")
    expect(chart.locator("polyline")).to_have_count(1)
    top_fifth = page.locator("[data-testid=pareto-table] tr[data-measure=aum] td[data-top='20']")
    expect(top_fifth).to_have_text("75.7%")  # 张三: 12,000,000 of 15,860,000
    page.screenshot(path=str(artifacts / "tier-pareto.png"), full_page=True)
    assert errors == []
