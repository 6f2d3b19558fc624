"""A team lead rebalances two overloaded books in a real browser: the dashboard shows two RMs over
their norm, the suggestions page proposes one move each way, the lead unticks nothing, gives a
reason and applies; the dashboard then shows no RM over, and each move is in the audit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

REASON = "四季度管户调整"


def test_team_lead_applies_a_suggested_rebalance(bank, page, log_in, artifacts):  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from keyclient.audit.models import BusinessEvent
    from keyclient.capacity.tests.test_coverage import _load
    from keyclient.customers.models import Customer

    cache.clear()
    made = _load(bank)  # rm_hd holds 2 private-banking clients, rm_hd2 2 platinum: both over a norm of 1
    log_in("E1003")  # lead_hd
    page.goto("/coverage/")
    expect(page.locator("h1")).to_contain_text("管户")
    expect(page.locator("[data-testid=rms-over]")).to_have_text("2")
    page.locator("[data-testid=rms-over]").click()
    expect(page.locator("[data-testid=rm-row]")).to_have_count(2)
    page.go_back()
    page.locator("[data-testid=open-suggestions]").click()
    expect(page).to_have_url(re.compile(r"/coverage/suggestions/$"))
    lines = page.locator("[data-testid=plan-line]")
    expect(lines).to_have_count(2)
    expect(page.locator("[data-testid=plan-table]")).to_contain_text("新二")
    expect(page.locator("[data-testid=plan-table]")).to_contain_text("李四")
    page.screenshot(path=str(artifacts / "coverage-suggestions.png"), full_page=True)
    page.locator("[data-testid=plan-reason]").fill(REASON)
    with page.expect_navigation():
        page.locator("[data-testid=plan-apply]").click()
    expect(page.locator("body")).to_contain_text("已分配 2 户客户")
    expect(page.locator("[data-testid=plan-line]")).to_have_count(0)
    page.goto("/coverage/")
    expect(page.locator("[data-testid=rms-over]")).to_have_text("0")
    assert Customer.objects.get(pk=made["new2"].pk).primary_rm_id == bank.user("rm_hd2").pk
    assert Customer.objects.get(pk=bank.customers["li"].pk).primary_rm_id == bank.user("rm_hd").pk
    events = BusinessEvent.objects.filter(verb="coverage.suggestion_applied")
    assert sorted(e.customer_no for e in events) == ["6200000002", "6200000102"]
    assert {e.note for e in events} == {REASON} and {e.actor_name for e in events} == {"E1003"}
