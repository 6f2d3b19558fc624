"""The client search searches while typing, in a real browser: on every input (typed, pasted or
filled), but not in the middle of a Chinese input-method composition, which searches once it ends."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROWS = "[data-testid=client-table] tbody tr"
NAMES = "[data-testid=client-table] tbody tr [data-testid=name-cell]"
QUIET_MS = 1_000  # well past the trigger's 400 ms delay


def searches(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The htmx search requests the page sends from now on."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.headers.get("hx-request") == "true" else None)
    return sent


def test_filling_the_box_searches_without_a_key_press(bank, page, log_in) -> None:  # type: ignore[no-untyped-def]
    log_in("E1007")  # head office: all five clients
    expect(page.locator(ROWS)).to_have_count(5)
    sent = searches(page)
    with page.expect_response(lambda r: "/clients/?" in r.url and "q=%E6%9D%8E" in r.url):
        page.locator("#id_q").fill("李")  # an input event and no key event, as a paste or an IME commit
    expect(page.locator(ROWS)).to_have_count(1)
    assert [n.strip() for n in page.locator(NAMES).all_inner_texts()] == ["李四"]
    assert len(sent) == 1


def test_no_search_in_the_middle_of_a_composition_one_when_it_ends(bank, page, log_in) -> None:  # type: ignore[no-untyped-def]
    log_in("E1007")
    expect(page.locator(ROWS)).to_have_count(5)
    box = page.locator("#id_q")
    sent = searches(page)
    box.dispatch_event("compositionstart")
    for typed in ("l", "li"):  # pinyin being typed: input events flagged isComposing
        box.evaluate(
            """(el, value) => { el.value = value;
                 el.dispatchEvent(new InputEvent("input", {bubbles: true, isComposing: true, data: value})); }""",
            typed,
        )
    page.wait_for_timeout(QUIET_MS)
    assert sent == []
    expect(page.locator(ROWS)).to_have_count(5)

    with page.expect_response(lambda r: "/clients/?" in r.url and "q=%E6%9D%8E" in r.url):
        # Chromium's order on commit: a last composing input event, then compositionend.
        box.evaluate(
            """el => { el.value = "李";
                 el.dispatchEvent(new InputEvent("input", {bubbles: true, isComposing: true, data: "李"}));
                 el.dispatchEvent(new CompositionEvent("compositionend", {bubbles: true, data: "李"})); }"""
        )
    expect(page.locator(ROWS)).to_have_count(1)
    page.wait_for_timeout(QUIET_MS)
    assert len(sent) == 1
