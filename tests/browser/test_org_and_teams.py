"""The organisation and service teams in a real browser: an administrator deactivates an RM, who
then appears deactivated with his client awaiting handover; 张三's team lead adds a credit officer
to the client's service team and sees the service-level shortfall change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_administrator_deactivates_an_rm_and_a_team_lead_edits_a_team(  # type: ignore[no-untyped-def]
    bank, page, log_in, live_server, artifacts
):
    from keyclient.audit.models import BusinessEvent
    from keyclient.customers.models import ServiceTeamMember

    rm, zhang = bank.user("rm_hd"), bank.customers["zhang"]

    log_in("E1010")  # admin
    page.goto("/org/users/")
    expect(page.locator("[data-testid=staff-row]")).to_have_count(11)
    page.locator("a", has_text="E1001").click()
    expect(page.locator("[data-testid=user-status]")).to_have_text("在职")
    expect(page.locator("[data-testid=book-count]")).to_have_text("1")
    page.locator("#id_deactivate_reason").fill("已离职，转往他行")
    with page.expect_navigation():
        page.locator("[data-testid=deactivate]").click()
    expect(page.locator("[data-testid=user-status]")).to_have_text("已停用")
    expect(page.locator("[data-testid=book-handover]")).to_be_visible()
    page.screenshot(path=str(artifacts / "org-user-deactivated.png"), full_page=True)
    rm.refresh_from_db()
    assert rm.is_active is False
    assert BusinessEvent.objects.filter(verb="org.user_deactivated", actor_name="E1010").count() == 1

    page.context.clear_cookies()
    log_in("E1003")  # lead_hd
    page.goto(f"/clients/{zhang.pk}/")
    team = page.locator("[data-testid=panel-team]")
    expect(team.locator("[data-testid=handover-flag]")).to_be_visible()
    shortfalls = page.locator("[data-testid=panel-service-level] [data-testid=service-shortfalls] li")
    expect(shortfalls).to_contain_text(["私人银行客户没有服务团队"])
    team.locator("[data-testid=team-add]").click()
    page.locator("#id_staff_no").fill("E1011")
    page.locator("#id_team_role").select_option("investment_advisor")
    with page.expect_navigation():
        page.locator("[data-testid=team-form] button[type=submit]").click()
    team = page.locator("[data-testid=panel-team]")
    expect(team.locator("[data-testid=team-member]")).to_contain_text(["孙三"])
    expect(shortfalls).to_contain_text(["服务团队缺少“法律/税务顾问”角色"])
    page.screenshot(path=str(artifacts / "service-team-edited.png"), full_page=True)
    row = ServiceTeamMember.objects.get(customer=zhang)
    assert (row.member.username, row.team_role) == ("E1011", "investment_advisor")
