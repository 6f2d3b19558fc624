"""Service levels in a real browser: an RM's client page shows what a private-banking client is entitled
to and that the service team is missing; head office grants a diamond client the private-banking level
from the client's page, with a reason, and the page shows the granted level and its reason."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

REASON = "家族办公室将把三千万资产转入我行"


def test_the_client_page_shows_the_entitlement_and_head_office_grants_a_level(  # type: ignore[no-untyped-def]
    bank, page, log_in, live_server, artifacts
):
    from keyclient.valuation.models import ServiceLevelGrant
    from keyclient.valuation.services import published_policy

    published_policy()
    zhang, zhao = bank.customers["zhang"], bank.customers["zhao"]

    # The RM: his private-banking client, entitled to a team he does not have yet.
    log_in("E1001")  # rm_hd
    page.goto(f"/clients/{zhang.pk}/")
    panel = page.locator("[data-testid=panel-service-level]")
    expect(panel.locator("h2")).to_have_text("服务等级")
    expect(panel.locator("[data-testid=service-level-tier]")).to_have_text("私人银行")
    expect(panel.locator("[data-testid=service-level-source]")).to_have_text(
        "客户本身的等级 · 等级政策第 1 版"
    )
    expect(panel.locator("[data-testid=service-team]")).to_have_text("要求: 投资顾问、法律/税务顾问")
    expect(panel.locator("[data-testid=service-contact]")).to_have_text("每月")
    expect(panel.locator("[data-testid=service-review]")).to_have_text("每 3 个月")
    expect(panel.locator("[data-testid=service-response]")).to_have_text("4 小时内")
    expect(panel.locator("[data-testid=service-benefits]")).to_have_text(
        "费用减免、网点优先通道、贵宾室、客户活动"
    )
    expect(panel.locator("[data-testid=service-shortfalls] li")).to_have_text(["私人银行客户没有服务团队"])
    expect(panel.locator("[data-testid=service-grant-open]")).to_have_count(0)
    page.screenshot(path=str(artifacts / "service-level-rm.png"), full_page=True)

    # Head office serves 赵六 (diamond) at the private-banking level.
    page.context.clear_cookies()
    log_in("E1007")  # head_office
    page.goto(f"/clients/{zhao.pk}/")
    panel = page.locator("[data-testid=panel-service-level]")
    expect(panel.locator("[data-testid=service-level-tier]")).to_have_text("钻石")
    panel.locator("[data-testid=service-grant-open]").click()
    panel.locator("#id_grant_tier").select_option("private_banking")
    panel.locator("#id_grant_reason").fill(REASON)
    with page.expect_navigation():
        panel.locator("[data-testid=service-grant-submit]").click()
    expect(page).to_have_url(re.compile(rf"/clients/{zhao.pk}/#service-level$"))
    panel = page.locator("[data-testid=panel-service-level]")
    expect(panel.locator("[data-testid=service-level-tier]")).to_have_text("私人银行")
    expect(panel.locator("[data-testid=service-level-source]")).to_contain_text("由冯总于")
    expect(panel.locator("[data-testid=service-grant-reason]")).to_have_text(REASON)
    expect(panel.locator("[data-testid=service-shortfalls] li")).to_have_text(["私人银行客户没有服务团队"])
    page.screenshot(path=str(artifacts / "service-level-granted.png"), full_page=True)
    assert ServiceLevelGrant.objects.get(customer=zhao).tier == "private_banking"
