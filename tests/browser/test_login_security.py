"""Login hardening in a real browser: the lockout message, TOTP enrolment and a later login with a
code, and pages that keep working under the Content-Security-Policy (Swagger UI included)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.personas import PASSWORD

pytestmark = pytest.mark.browser


def gettext_zh(msgid: str) -> str:
    """`msgid` as the browser (zh-CN) sees it: Chinese once the catalogue has it, else English."""
    from django.utils import translation

    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def submit_login(page, staff_no: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("#id_username").fill(staff_no)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator(".login-card button[type=submit]").click()


def csp_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    found: list[str] = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return found


def test_a_user_is_locked_out_after_the_configured_failures(bank, page) -> None:
    from django.conf import settings

    from keyclient.audit.models import BusinessEvent

    locked = gettext_zh(
        "Too many failed attempts: logging in with this staff number or from this address is locked. "
        "Try again in %(minutes)s minutes."
    ) % {"minutes": settings.KEYCLIENT_LOCKOUT_MINUTES}
    wrong = gettext_zh("Staff number or password is wrong, or the account is locked.")
    alert = page.get_by_role("alert")

    page.goto("/login/")
    for _ in range(settings.KEYCLIENT_LOCKOUT_USER_FAILURES - 1):
        submit_login(page, "E1001", "not-the-password-1")
        expect(alert).to_have_text(wrong)
    submit_login(page, "E1001", "not-the-password-1")
    expect(alert).to_have_text(locked)

    # The right password is refused while the lock runs.
    submit_login(page, "E1001", PASSWORD)
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(alert).to_have_text(locked)
    expect(page.locator("[data-testid=whoami]")).to_have_count(0)
    assert BusinessEvent.objects.filter(verb="login_locked").count() == 1


def test_a_fresh_user_enrols_two_factor_then_logs_in_with_a_code(bank, page, artifacts) -> None:
    from keyclient.audit.models import BusinessEvent
    from keyclient.security.models import TOTPDevice

    violations = csp_violations(page)
    page.goto("/clients/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/clients/$"))
    submit_login(page, "E1004", PASSWORD)  # rm_cy: no authenticator yet

    # Enrolment: the key as text and as an inline SVG QR code.
    expect(page).to_have_url(re.compile(r"/login/enrol/\?next=%2Fclients%2F$"))
    expect(page.locator("[data-testid=totp-qr] svg")).to_be_visible()
    secret = page.locator("[data-testid=totp-secret]").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    page.screenshot(path=str(artifacts / "two-factor-enrol.png"), full_page=True)
    # The page itself goes nowhere else, before or after the password step.
    expect(page.locator("[data-testid=whoami]")).to_be_visible()
    page.goto("/clients/")
    expect(page).to_have_url(re.compile(r"/login/enrol/"))

    authenticator = pyotp.TOTP(secret)
    page.locator("#id_code").fill(authenticator.now())
    with page.expect_navigation():
        page.locator("[data-testid=two-factor-enrol] button[type=submit].primary").click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.locator("[data-testid=client-table]")).to_contain_text("王五")
    assert TOTPDevice.objects.get(user__username="E1004").confirmed_at is not None
    assert BusinessEvent.objects.filter(verb="two_factor_enrolled", actor_name="E1004").count() == 1

    # Log out, then in again: password, then a code (the next time step's, since this one is used).
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Log out|退出登录")).click()
    page.goto("/login/")
    submit_login(page, "E1004", PASSWORD)
    expect(page).to_have_url(re.compile(r"/login/verify/"))
    page.locator("#id_code").fill(authenticator.at(time.time() + authenticator.interval))
    with page.expect_navigation():
        page.locator("[data-testid=two-factor-verify] button[type=submit].primary").click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.locator("[data-testid=whoami]")).to_contain_text("周一")
    assert violations == []


def test_swagger_ui_runs_under_its_policy(bank, page, log_in) -> None:
    violations = csp_violations(page)
    log_in("E1010")  # the administrator, with the code step
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Keyclient API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert violations == []
