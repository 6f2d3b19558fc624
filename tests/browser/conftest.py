"""Browser tests: Debian's chromium driven by Playwright (sync API) against the app on `live_server`.

Chromium comes from `scripts/ensure-chromium` (apt), never from `playwright install`. One browser is
shared by a test module; every test gets a fresh context (cookies, storage) and page.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an asyncio loop in the test thread; Django would otherwise refuse ORM
# calls made from that thread (fixtures and tests build data while the browser is up).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
TIMEOUT_MS = 10_000


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "chromium is not installed: run scripts/ensure-chromium (installs Debian's package; "
            "never `playwright install`)",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator:  # type: ignore[type-arg]
    """One headless chromium per test module."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser, live_server) -> Iterator:  # type: ignore[no-untyped-def, type-arg]
    """A fresh browser context per test, with the live server as base URL."""
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context):  # type: ignore[no-untyped-def]
    return context.new_page()


@pytest.fixture
def bank(transactional_db):  # type: ignore[no-untyped-def]
    """The persona bank, committed so the live server's thread sees it (flushed after the test)."""
    from tests.personas import build_bank

    return build_bank()


def give_confirmed_authenticator(staff_no: str) -> str | None:
    """A confirmed TOTP device for the user whose role logs in with a second factor; its secret
    (None when the role, or the app, needs no second factor)."""
    try:
        from keyclient.security.models import TOTPDevice
        from keyclient.security.roles import requires_two_factor
    except ImportError:  # an app without two-factor login
        return None
    import pyotp
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    user = get_user_model().objects.filter(username=staff_no).first()
    if user is None or not requires_two_factor(user):
        return None
    secret = pyotp.random_base32(length=32)
    TOTPDevice.objects.update_or_create(
        user=user, defaults={"secret": secret, "confirmed_at": timezone.now(), "last_used_step": None}
    )
    return secret


@pytest.fixture
def log_in(page):  # type: ignore[no-untyped-def]
    """`log_in(staff_no)` logs in through the login form, typing the authenticator code when the
    role asks for one, and returns the paths the browser went through (last: where it landed)."""
    import pyotp

    from tests.personas import PASSWORD

    def _log_in(staff_no: str, password: str = PASSWORD) -> list[str]:
        secret = give_confirmed_authenticator(staff_no)
        page.goto("/login/")
        steps = [urlsplit(page.url).path]
        page.locator("#id_username").fill(staff_no)
        page.locator("#id_password").fill(password)
        with page.expect_navigation():
            page.locator(".login-card button[type=submit]").click()
        steps.append(urlsplit(page.url).path)
        if steps[-1].startswith("/login/") and steps[-1] != "/login/":
            assert steps[-1] == "/login/verify/", f"unexpected login step {page.url}"
            assert secret is not None, f"{staff_no} was asked for a code but has no authenticator"
            page.locator("#id_code").fill(pyotp.TOTP(secret).now())
            with page.expect_navigation():
                page.locator(".login-card form:has(#id_code) button[type=submit]").click()
            steps.append(urlsplit(page.url).path)
        return steps

    return _log_in


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
