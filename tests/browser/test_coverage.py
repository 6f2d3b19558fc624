"""Assignment in a real browser: an RM asks to hand a dedicated client to a team mate from the
client's page, his team lead approves it on that page; the team lead then assigns two clients from
the client list in bulk — one applies at once, the dedicated one waits — and a branch head approves
the waiting one in the approvals queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

REASON = "客户经理调整：按团队分工重新管户"


def test_team_lead_approves_and_assigns_in_bulk(bank, page, context, log_in, live_server, artifacts):  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from keyclient.coverage.models import AssignmentRequest
    from keyclient.customers.models import Customer
    from keyclient.customers.services import search_keys
    from tests.personas import place

    rm, rm2 = bank.user("rm_hd"), bank.user("rm_hd2")
    served, li = bank.customers["served"], bank.customers["li"]
    mass = Customer.objects.create(
        customer_no="6300000901", kind="individual", name="周九", id_type="resident_id", id_number="110101199001011234",
        home_org_unit=bank.units["hd"], primary_rm=rm2, tier="mass",
        **search_keys(name="周九", id_number="110101199001011234", mobile=""),
    )  # fmt: skip
    place({mass: Decimal("0")}, None)  # its position, as the client-master writer gives a new client

    # The RM hands 钱七 (platinum: a dedicated RM) to his team mate: it waits for approval.
    log_in("E1002")  # rm_hd2
    page.goto(f"/clients/{served.pk}/")
    panel = page.locator("[data-testid=panel-coverage]")
    expect(panel.locator("h2")).to_have_text("管户")
    expect(panel.locator("[data-testid=coverage-row]")).to_contain_text("孙二")
    panel.locator("#id_coverage_rm").select_option(str(rm.pk))
    panel.locator("#id_coverage_reason").fill(REASON)
    with page.expect_navigation():
        panel.locator("[data-testid=coverage-change-submit]").click()
    expect(page).to_have_url(re.compile(rf"/clients/{served.pk}/#coverage$"))
    expect(panel.locator("[data-testid=coverage-request-status]")).to_have_text("待审批")
    expect(panel.locator("[data-testid=coverage-awaiting]")).to_be_visible()
    expect(panel.locator("[data-testid=coverage-approve]")).to_have_count(0)
    assert Customer.objects.get(pk=served.pk).primary_rm_id == rm2.pk

    # His team lead approves it on the client's page.
    context.clear_cookies()
    log_in("E1003")  # lead_hd
    page.goto(f"/clients/{served.pk}/")
    panel = page.locator("[data-testid=panel-coverage]")
    expect(panel.locator("[data-testid=coverage-request]")).to_contain_text(REASON)
    with page.expect_navigation():
        panel.locator("[data-testid=coverage-approve]").click()
    expect(panel.locator("[data-testid=coverage-row]")).to_contain_text("孙一")
    expect(panel.locator("[data-testid=coverage-history]")).to_contain_text("审批人 孙队")
    assert Customer.objects.get(pk=served.pk).primary_rm_id == rm.pk
    page.screenshot(path=str(artifacts / "coverage-approved.png"), full_page=True)

    # The team lead assigns 周九 and 李四 to 孙一 from the client list.
    page.goto("/clients/")
    page.locator(f"[data-testid=choose-client][aria-label='{mass.customer_no}']").check()
    page.locator(f"[data-testid=choose-client][aria-label='{li.customer_no}']").check()
    with page.expect_navigation():
        page.locator("[data-testid=bulk-assign]").click()
    expect(page.locator("[data-testid=bulk-clients]")).to_contain_text("周九")
    expect(page.locator("[data-testid=bulk-clients]")).to_contain_text("李四")
    page.locator("#id_rm").select_option(str(rm.pk))
    page.locator("#id_reason").fill(REASON)
    with page.expect_navigation():
        page.locator("[data-testid=bulk-submit]").click()
    expect(page.locator("[data-testid=bulk-outcome]")).to_have_text(
        "已分配 1 位，1 位待审批，0 位已由该客户经理管户。"
    )
    page.screenshot(path=str(artifacts / "coverage-bulk.png"), full_page=True)
    assert Customer.objects.get(pk=mass.pk).primary_rm_id == rm.pk
    assert (
        AssignmentRequest.objects.get(customer=li, status="pending").requested_by_id
        == bank.user("lead_hd").pk
    )

    # The branch head approves the waiting one in the queue.
    context.clear_cookies()
    log_in("E1006")  # head_bj
    page.goto("/coverage/approvals/")
    row = page.locator("[data-testid=coverage-approval-row]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("李四")
    with page.expect_navigation():
        row.locator("[data-testid=coverage-approve]").click()
    expect(page.locator("[data-testid=coverage-approval-row]")).to_have_count(0)
    assert Customer.objects.get(pk=li.pk).primary_rm_id == rm.pk
