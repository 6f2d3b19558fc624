"""The client screens in a real browser: log in, the list with its htmx search, the 360 page,
data scope (404), a failed log-in and the language switch."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROWS = "[data-testid=client-table] tbody tr"
NAMES = "[data-testid=client-table] tbody tr [data-testid=name-cell]"
ZHANG_ID = "110108198001011235"
ZHANG_MOBILE = "13800001234"
ZHANG_ACCOUNTS = ("6222020000001234567", "6222020000007654321")


def month_ends(last: dt.date, count: int) -> list[dt.date]:
    """`count` month-end dates ending at `last`'s month, oldest first."""
    out = []
    year, month = last.year, last.month
    for _ in range(count):
        out.append(dt.date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


@pytest.fixture
def zhang_balances(bank):  # type: ignore[no-untyped-def]
    """张三 with two holdings at the latest month end and twelve monthly balance snapshots."""
    from keyclient.products.models import BalanceSnapshot, Holding, Product
    from keyclient.products.services import account_bidx

    zhang = bank.customers["zhang"]
    deposit = Product.objects.create(
        code="DEP-CNY", name="活期储蓄", category="deposit", risk_rating="R1", rate=Decimal("0.0015")
    )
    wmp = Product.objects.create(
        code="WMP-180", name="稳盈180天", category="wmp", risk_rating="R2", term_days=180
    )
    as_of = dt.date(2026, 10, 31)
    Holding.objects.create(
        as_of=as_of, customer=zhang, product=deposit, account_no=ZHANG_ACCOUNTS[0],
        account_bidx=account_bidx(ZHANG_ACCOUNTS[0]), balance=Decimal("4000000"),
    )  # fmt: skip
    Holding.objects.create(
        as_of=as_of,
        customer=zhang,
        product=wmp,
        account_no=ZHANG_ACCOUNTS[1],
        account_bidx=account_bidx(ZHANG_ACCOUNTS[1]),
        balance=Decimal("8000000"),
        maturity_date=dt.date(2027, 3, 31),
    )
    for i, month_end in enumerate(month_ends(as_of, 12)):
        aum = Decimal(10_000_000 + i * 200_000)
        BalanceSnapshot.objects.create(
            as_of=month_end,
            customer=zhang,
            aum=aum,
            aum_madb=aum - 50_000,
            deposit=aum / 3,
            investment=aum - aum / 3,
            loan=Decimal(0),
        )
    return zhang


def visible_names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.strip() for n in page.locator(NAMES).all_inner_texts()]


def test_rm_logs_in_and_sees_only_own_clients(bank, page, log_in) -> None:
    steps = log_in("E1001")  # rm_hd: password, then (the role may unmask) the authenticator code
    assert steps[-1] == "/clients/", steps
    expect(page).to_have_url(re.compile(r"/clients/$"))
    table = page.locator("[data-testid=client-table]")
    expect(table).to_contain_text("张三")
    expect(table).not_to_contain_text("赵六")
    assert visible_names(page) == ["张三"]


def test_search_box_narrows_the_table_through_htmx(bank, page, log_in) -> None:
    # The head office sees all five clients, so the search really has something to narrow.
    log_in("E1007")
    expect(page.locator(ROWS)).to_have_count(5)
    box = page.locator("#id_q")

    with page.expect_response(lambda r: "/clients/?" in r.url and "q=zs" in r.url) as response:
        box.press_sequentially("zs")
    assert response.value.status == 200
    assert response.value.request.headers.get("hx-request") == "true"
    expect(page.locator(ROWS)).to_have_count(1)
    assert visible_names(page) == ["张三"]
    expect(page).to_have_url(re.compile(r"[?&]q=zs"))  # hx-push-url

    box.clear()
    with page.expect_response(lambda r: "/clients/?" in r.url and "q=1234" in r.url):
        box.press_sequentially("1234")
    expect(page.locator(ROWS)).to_have_count(1)
    assert visible_names(page) == ["张三"]


def test_client_360_shows_masked_identity_aum_and_trend(zhang_balances, page, log_in, artifacts) -> None:
    log_in("E1001")
    expect(page.locator(NAMES)).to_have_text(["张三"])
    list_png = artifacts / "client-list.png"
    page.screenshot(path=str(list_png), full_page=True)

    with page.expect_navigation():
        page.get_by_role("link", name="张三").click()
    expect(page).to_have_url(re.compile(rf"/clients/{zhang_balances.pk}/$"))
    expect(page.locator("[data-testid=client-name]")).to_contain_text("张三")
    expect(page.locator("[data-testid=id-number]")).to_have_text("110108********1235")
    expect(page.locator("[data-testid=mobile]")).to_have_text("138****1234")
    expect(page.locator("[data-testid=panel-profile]")).to_be_visible()

    aum = page.locator("[data-testid=panel-aum]")
    expect(aum).to_be_visible()
    expect(aum).to_contain_text("12,000,000.00")  # total of the two holdings at month end
    chart = page.locator("[data-testid=trend-chart]")
    expect(chart).to_be_visible()
    expect(chart.locator("circle")).to_have_count(12)

    html = page.content()
    for secret in (ZHANG_ID, ZHANG_MOBILE, *ZHANG_ACCOUNTS):
        assert secret not in html, f"{secret} appears unmasked in the 360 page"

    detail_png = artifacts / "client-360.png"
    page.screenshot(path=str(detail_png), full_page=True)
    for png in (list_png, detail_png):
        assert png.is_file() and png.stat().st_size > 0, png
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png


def test_rm_of_another_unit_gets_404_for_the_client(bank, page, log_in) -> None:
    log_in("E1005")  # rm_pd, Shanghai Pudong
    response = page.goto(f"/clients/{bank.customers['zhang'].pk}/")
    assert response is not None
    assert response.status == 404
    assert "张三" not in page.content()


def test_wrong_password_shows_the_error_and_stays_on_login(bank, page, log_in) -> None:
    steps = log_in("E1001", password="not-the-password")
    assert steps == ["/login/", "/login/"], steps
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#id_code")).to_have_count(0)
    expect(page.locator("#id_username")).to_have_value("E1001")
    expect(page.locator("[data-testid=whoami]")).to_have_count(0)


def watch_console_for_csp(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Content-Security-Policy violations the browser reports from now on."""
    found: list[str] = []
    page.on(
        "console",
        lambda m: found.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return found


def test_language_selector_switches_to_english(bank, page, log_in) -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        chinese = translation.gettext("Clients")  # "Clients" itself while no catalogue is compiled

    blocked = watch_console_for_csp(page)  # Chromium reports a blocked inline handler at page load
    log_in("E1001")
    # The browser asks for zh-CN, so the page starts in Simplified Chinese (as far as translated).
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text(chinese)
    try:
        with page.expect_response(lambda r: "/i18n/setlang/" in r.url, timeout=5_000):
            page.get_by_label(re.compile("Language|语言")).select_option("en")
    except PlaywrightTimeoutError:
        pytest.fail(
            "choosing English in the top bar posted nothing to /i18n/setlang/"
            + (f"; the browser reported: {sorted(set(blocked))}" if blocked else ""),
            pytrace=False,
        )
    expect(page).to_have_url(re.compile(r"/clients/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Clients")
    expect(page.locator(".mainnav")).to_contain_text("Clients")
    expect(page.locator("select[name=language]")).to_have_value("en")


def test_language_selector_does_not_fire_the_client_filter(bank, page, log_in) -> None:
    log_in("E1001")
    filter_requests: list[str] = []
    page.on(
        "request",
        lambda r: filter_requests.append(r.url) if r.headers.get("hx-request") == "true" else None,
    )
    page.get_by_label(re.compile("Language|语言")).select_option("en")
    page.wait_for_timeout(1_000)  # htmx would have sent its request at once
    assert not filter_requests, (
        "changing the top bar's language select fired the client list's htmx filter request "
        f"(its hx-trigger 'change from:select' matches every select on the page): {filter_requests}"
    )


@pytest.mark.unmasks  # the table's export links carry back the number the user typed
def test_a_refused_search_shows_its_message_in_place_of_the_table(bank, page, log_in) -> None:
    from django.test import override_settings

    log_in("E1007")
    with override_settings(KEYCLIENT_IDENTIFIER_SEARCH_RATE=1):
        first = page.goto(f"/clients/?q={ZHANG_MOBILE}")  # the one identifier search allowed
        assert first is not None and first.status == 200
        expect(page.locator(ROWS)).to_have_count(1)
        with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true") as second:
            page.locator("#id_q").press("Enter")
        assert second.value.status == 429
        expect(page.locator("[data-testid=search-refused]")).to_be_visible()
        expect(page.locator(NAMES)).to_have_count(0)
