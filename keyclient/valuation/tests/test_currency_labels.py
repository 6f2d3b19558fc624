"""The reporting currency on screen: a bank reporting in EUR sees EUR beside its tier bars (policy page,
editor, what-if) and its amounts (client page), never 元 or ¥; a CNY bank keeps ¥ and 元."""

from __future__ import annotations

import re

import pytest

from keyclient.valuation.services import start_draft
from keyclient.valuation.tests.scenes import two_month_ends

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def lake(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return settings.KEYCLIENT_LAKE_DIR


def test_the_policy_screens_label_bars_in_euros(bank, login, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_REPORTING_CURRENCY = "EUR"
    draft = start_draft(actor=bank.user("head_office"))
    client = login(bank.user("head_office"))
    english = client.get("/tiers/policy/", **EN).content.decode()
    assert '<th class="num">Monthly average AUM at least (EUR)</th>' in english
    assert "CNY" not in english
    chinese = client.get("/tiers/policy/").content.decode()
    assert '<th class="num">月日均AUM不低于（EUR）</th>' in chinese
    assert "元" not in chinese and "¥" not in chinese
    edit = client.get(f"/tiers/policy/{draft.version}/edit/", **EN).content.decode()
    assert re.search(r"<th[^>]*>12-month contribution at least \(EUR\)</th>", edit)
    assert "(CNY)" not in edit


def test_a_cny_bank_keeps_yuan(bank, login) -> None:  # type: ignore[no-untyped-def]
    chinese = login(bank.user("head_office")).get("/tiers/policy/").content.decode()
    assert '<th class="num">月日均AUM不低于（元）</th>' in chinese


def test_the_client_page_shows_euros(bank, login, lake, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_REPORTING_CURRENCY = "EUR"
    two_month_ends(bank)
    wang = bank.customers["wang"]
    html = login(bank.user("rm_cy")).get(f"/clients/{wang.pk}/", **EN).content.decode()
    assert re.search(r'data-testid="client-aum">EUR [\d,]+\.\d\d</span>', html)
    assert '<span class="kpi-value" data-testid="value-clv">EUR 44,859.18</span>' in html
    assert "weighted monthly average AUM ≥ EUR 50,000.00" in html
    assert "12 months EUR 15,000.00 · trend 0.0%" in html
    assert "¥" not in html and "元" not in html
