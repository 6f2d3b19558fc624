"""Institutions are tiered by the corporate rules (docs/valuation.md); loans without a class or overdue
days show as unknown (未知), never as 正常 or 0 days, and reach the valuation as NULL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings

from keyclient.customers.models import Customer
from keyclient.valuation.models import TierAssignment, ValueScore
from keyclient.valuation.services import base_tier
from keyclient.valuation.tests.monthly import run_month

JAN = dt.date(2026, 1, 31)
LI, WANG, ZHAO = "6200000002", "6200000003", "6200000004"


@pytest.fixture
def lake(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return settings.KEYCLIENT_LAKE_DIR


def test_an_institution_is_tiered_by_the_corporate_rules(bank, lake, login) -> None:  # type: ignore[no-untyped-def]
    Customer.objects.filter(customer_no=WANG).update(kind="institution", tier="corporate_general")
    # 20 M of monthly average deposits and 300,000 of contribution: the strategic (sub-branch) bars
    # (10 M, 200,000), not the branch ones (50 M, 1 M); contribution scores on the corporate scale.
    run_month(JAN, {WANG: {"deposit_madb": 20_000_000, "contribution_month": 300_000}})
    assignment = TierAssignment.objects.get(customer__customer_no=WANG, as_of=JAN)
    assert (assignment.qualified_tier, assignment.tier) == ("strategic_sub_branch", "strategic_sub_branch")
    wang = Customer.objects.get(customer_no=WANG)
    assert (wang.kind, wang.tier, wang.uses_corporate_rules, base_tier(wang)) == (
        "institution", "strategic_sub_branch", True, "corporate_general",
    )  # fmt: skip
    # An individual with the same figures is tiered by AUM instead.
    assert TierAssignment.objects.get(customer__customer_no=LI, as_of=JAN).tier == "mass"
    # The page names the kind and shows the corporate basis (12 months of contribution), not AUM.
    html = login(bank.user("rm_cy")).get(f"/clients/{wang.pk}/").content.decode()
    assert "同业/机构客户" in html
    assert "近12个月贡献 ¥300,000.00" in html


def test_loans_without_class_or_overdue_days_show_unknown(bank, lake, login) -> None:  # type: ignore[no-untyped-def]
    run_month(
        JAN,
        {LI: {"deposit_madb": 100}, WANG: {"deposit_madb": 100}, ZHAO: {"deposit_madb": 100}},
        loans=[
            (LI, 300_000, None, None),  # nothing known
            (WANG, 100_000, 0, "正常"), (WANG, 50_000, None, None),  # normal and unknown: unknown
            (ZHAO, 100_000, 45, "关注"), (ZHAO, 50_000, None, None),  # a worse known class stands
        ],
    )  # fmt: skip
    rows = ValueScore.objects.filter(as_of=JAN).values_list(
        "customer__customer_no", "worst_loan_class", "max_overdue_days"
    )
    shown = {n: (c, d) for n, c, d in rows}
    assert shown[LI] == ("未知", None)
    assert shown[WANG] == ("未知", None)
    assert shown[ZHAO] == ("关注", 45)
    assert shown["6200000001"] == ("", 0)  # no loans
    client = login(bank.user("rm_hd2"))
    html = client.get(f"/clients/{bank.customers['li'].pk}/").content.decode()
    assert '<span data-testid="loan-class-unknown" data-unknown="loan-class">未知</span>' in html
    assert '<span data-testid="overdue-unknown" data-unknown="overdue">逾期天数未知</span>' in html
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/clients/{bank.customers['li'].pk}/").content.decode()
    assert '<span data-testid="loan-class-unknown" data-unknown="loan-class">unknown</span>' in html
    risk = client.get(f"/api/customers/{bank.customers['li'].pk}/value/").json()["value"]["indicators"][
        "risk"
    ]
    assert (risk["worst_loan_class"], risk["max_overdue_days"]) == ("未知", None)
