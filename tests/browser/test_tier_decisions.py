"""A manual tier decision end to end in a real browser: an RM asks for an override with a reason, cannot
approve it himself, his team lead finds it in the approvals queue and approves it, and the client's page
shows the new tier in the state "manual override"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

REASON = "客户家族企业明年上市，约两千万资金将转入我行理财"


@pytest.fixture
def li_valued(bank, settings, tmp_path):  # type: ignore[no-untyped-def]
    """李四 (platinum, rm_hd2 at 海淀) after one month-end run at 800,000 of deposits."""
    from keyclient.valuation.tests.monthly import run_month

    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    li = bank.customers["li"]
    run_month(dt.date(2026, 1, 31), {li.customer_no: {"deposit_madb": 800_000, "contribution_month": 9_999}})
    return li


def test_rm_requests_an_override_and_the_team_lead_approves_it(  # type: ignore[no-untyped-def]
    bank, li_valued, page, context, log_in, live_server, artifacts
):
    from keyclient.customers.models import Customer
    from keyclient.valuation.models import TierOverride

    li = li_valued
    # The RM asks, from the client's page.
    log_in("E1002")  # rm_hd2
    page.goto(f"/clients/{li.pk}/")
    panel = page.locator("[data-testid=panel-value]")
    expect(panel.locator("h2")).to_have_text("客户价值与等级")
    expect(panel.locator("[data-testid=tier-current]")).to_have_text("白金")
    expect(panel.locator("[data-testid=tier-state]")).to_have_text("达标")
    panel.locator("[data-testid=request-open]").click()
    panel.locator("#id_request_kind").select_option("override")
    panel.locator("#id_request_tier").select_option("diamond")
    panel.locator("#id_request_reason").fill(REASON)
    with page.expect_navigation():
        panel.locator("[data-testid=request-submit]").click()
    expect(page).to_have_url(re.compile(rf"/clients/{li.pk}/#tier-decisions$"))
    request = page.locator("[data-testid=tier-request]")
    expect(request).to_contain_text("白金 → 钻石")
    expect(request).to_contain_text(REASON)
    expect(request.locator("[data-testid=tier-request-status]")).to_have_text("待审批")
    expect(request.locator("[data-testid=awaiting-second]")).to_be_visible()
    expect(request.locator("[data-testid=approve]")).to_have_count(0)
    page.screenshot(path=str(artifacts / "tier-request-rm.png"), full_page=True)

    # The RM cannot approve his own request, not even by posting the form himself, nor open the queue.
    override = TierOverride.objects.get(customer=li)
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"/tiers/requests/{override.pk}/approve/", form={"note": "自己批准"}, headers={"X-CSRFToken": csrf}
    )
    assert response.status == 403
    assert TierOverride.objects.get(pk=override.pk).status == "pending"
    assert Customer.objects.get(pk=li.pk).tier == "platinum"
    assert page.goto("/tiers/approvals/").status == 403

    # His team lead finds it in the approvals queue and approves it.
    context.clear_cookies()
    log_in("E1003")  # lead_hd
    page.goto("/tiers/approvals/")
    row = page.locator("[data-testid=approval-row]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("李四")
    expect(row).to_contain_text("人工调整到指定等级")
    expect(row).to_contain_text("白金 → 钻石")
    expect(row).to_contain_text(REASON)
    expect(row).to_contain_text("孙二")
    page.screenshot(path=str(artifacts / "tier-approvals-queue.png"), full_page=True)
    row.locator("input[name=note]").fill("同意，请跟进资金到账")
    with page.expect_navigation():
        row.locator("[data-testid=approve]").click()
    expect(page).to_have_url(re.compile(r"/tiers/approvals/$"))
    expect(page.locator("[data-testid=approval-row]")).to_have_count(0)
    expect(page.locator("[data-testid=approvals-table]")).to_contain_text("没有待您审批的等级申请。")

    # The client's page shows the new tier, in force at once, as a manual override.
    page.goto(f"/clients/{li.pk}/")
    expect(page.locator("[data-testid=client-name] .tier")).to_have_text("钻石")
    panel = page.locator("[data-testid=panel-value]")
    expect(panel.locator("[data-testid=tier-current]")).to_have_text("钻石")
    expect(panel.locator("[data-testid=tier-state]")).to_have_text("人工调整")
    expect(panel.locator("[data-testid=tier-qualified]")).to_contain_text("白金")  # what the rules say
    expect(panel.locator("[data-testid=tier-request-status]")).to_have_text("已批准")
    page.screenshot(path=str(artifacts / "tier-override-approved.png"), full_page=True)
    override.refresh_from_db()
    assert (override.status, override.decided_by.username, override.decision_note) == (
        "approved",
        "E1003",
        "同意，请跟进资金到账",
    )
    assert Customer.objects.get(pk=li.pk).tier == "diamond"
