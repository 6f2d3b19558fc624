"""The month-end run on hand-built clients at the boundaries: scores, CLV, tiers and the lifecycle."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from keyclient.audit.models import BusinessEvent
from keyclient.customers.models import Customer
from keyclient.valuation.models import TierAssignment, ValueScore
from keyclient.valuation.services import decide_override, request_override
from keyclient.valuation.tests.monthly import run_month

MONTHS = [dt.date(2026, m, d) for m, d in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31))]


@pytest.fixture
def lake(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return settings.KEYCLIENT_LAKE_DIR


def tier_of(number: str, as_of: dt.date) -> tuple[str, str, str, int]:
    row = TierAssignment.objects.get(customer__customer_no=number, as_of=as_of)
    return row.qualified_tier, row.tier, row.state, row.months_below


def test_exactly_at_the_gold_bar_qualifies_and_one_cent_below_does_not(bank, lake) -> None:  # type: ignore[no-untyped-def]
    counts = run_month(
        MONTHS[0],
        {
            "6200000003": {"deposit_madb": 30_000, "investment_madb": 20_000},
            "6200000002": {"deposit_madb": 49_999.99},
        },
    )
    assert counts["value_scores"] == 5 and counts["tier_assignments"] == 5
    assert tier_of("6200000003", MONTHS[0]) == ("gold", "gold", "active", 0)
    # 李四 was platinum (the preliminary tier) but there is no earlier month-end run: the rules decide.
    assert tier_of("6200000002", MONTHS[0]) == ("mass", "mass", "active", 0)
    assert (
        TierAssignment.objects.get(customer__customer_no="6200000002", as_of=MONTHS[0]).previous_tier
        == "platinum"
    )
    assert Customer.objects.get(customer_no="6200000002").tier == "mass"
    event = BusinessEvent.objects.get(verb="tier.changed", customer_no="6200000002")
    assert (event.actor_name, event.before, event.after) == (
        "job:valuation",
        {"tier": "platinum"},
        {"tier": "mass", "state": "active", "as_of": "2026-01-31"},
    )
    # 王五 was gold already: no event.
    assert not BusinessEvent.objects.filter(verb="tier.changed", customer_no="6200000003").exists()


def test_downgrade_waits_three_months_on_watch_then_happens(bank, lake) -> None:  # type: ignore[no-untyped-def]
    li = "6200000002"
    figures = [600_000, 499_999.99, 450_000, 400_000]  # platinum, then three months below the 500,000 bar
    for as_of, aum in zip(MONTHS, figures, strict=False):
        run_month(as_of, {li: {"deposit_madb": aum}})
    assert [tier_of(li, m) for m in MONTHS[:4]] == [
        ("platinum", "platinum", "active", 0),
        ("gold", "platinum", "watch", 1),  # one month below: still platinum, on watch
        ("gold", "platinum", "watch", 2),
        ("gold", "gold", "active", 0),  # the third month below: downgraded
    ]
    assert Customer.objects.get(customer_no=li).tier == "gold"
    assert list(
        BusinessEvent.objects.filter(verb="tier.changed", customer_no=li).values_list("before", "after")
    ) == [({"tier": "platinum"}, {"tier": "gold", "state": "active", "as_of": "2026-04-30"})]


def test_watch_ends_when_the_client_is_back_above_the_bar(bank, lake) -> None:  # type: ignore[no-untyped-def]
    li = "6200000002"
    for as_of, aum in zip(MONTHS, [600_000, 400_000, 500_000, 400_000], strict=False):
        run_month(as_of, {li: {"deposit_madb": aum}})
    assert [tier_of(li, m)[1:] for m in MONTHS[:4]] == [
        ("platinum", "active", 0),
        ("platinum", "watch", 1),
        ("platinum", "active", 0),  # exactly at the bar again: the count starts over
        ("platinum", "watch", 1),
    ]


def test_private_banking_keeps_its_tier_for_six_months_below(bank, lake) -> None:  # type: ignore[no-untyped-def]
    zhang = "6200000001"
    run_month(MONTHS[0], {zhang: {"deposit_madb": 10_000_000}})
    for as_of in MONTHS[1:7]:
        run_month(as_of, {zhang: {"deposit_madb": 7_000_000}})
    assert [tier_of(zhang, m)[1:] for m in MONTHS] == [
        ("private_banking", "active", 0),
        ("private_banking", "watch", 1),
        ("private_banking", "watch", 2),
        ("private_banking", "watch", 3),
        ("private_banking", "watch", 4),
        ("private_banking", "watch", 5),
        ("diamond", "active", 0),
    ]


def test_upgrade_happens_at_the_next_month_end(bank, lake) -> None:  # type: ignore[no-untyped-def]
    wang = "6200000003"
    run_month(MONTHS[0], {wang: {"deposit_madb": 60_000}})
    run_month(MONTHS[1], {wang: {"deposit_madb": 200_000, "investment_madb": 300_000}})
    assert tier_of(wang, MONTHS[1]) == ("platinum", "platinum", "active", 0)


def test_scores_and_clv_pinned(bank, lake) -> None:  # type: ignore[no-untyped-def]
    Customer.objects.filter(customer_no="6200000003").update(risk_assessed_on=dt.date(2025, 12, 1))
    run_month(
        MONTHS[0],
        {
            "6200000003": {"deposit_madb": 60_000, "contribution_month": 12_000, "aum": 60_000},
            "6200000002": {"deposit_madb": 800_000, "contribution_month": 9_999, "aum": 900_000,
                           "outflow_other_banks_30d": 100_000},
        },
        loans=[("6200000002", 1_000_000, 45, "关注"), ("6200000002", 200_000, 0, "正常")],
        holdings=[("6200000002", 900_000, "R4"), ("6200000002", 100_000, "R1")],
        links=[("6200000002", "6200000003")],
    )  # fmt: skip
    wang = ValueScore.objects.get(customer__customer_no="6200000003", as_of=MONTHS[0])
    # contribution: the percentile among the individuals with a positive contribution (李四 9,999, 王五
    #   12,000): 王五 the larger of two, 100
    assert wang.contribution_score == Decimal("100.00")
    # risk: assessed 2025-12-01, within 12 months of 2026-01-31: nothing counts
    assert (wang.kyc_stale, wang.risk_score) == (False, Decimal("0.00"))
    # relatedness: one link to 李四 (AUM 800,000 + contribution 9,999 = 809,999, the larger of the two
    #   positive linked amounts: percentile 100): 0.7 × 100 + 0.3 × 100 × 1 / 10 = 73
    assert (wang.link_count, wang.linked_aum, wang.linked_contribution) == (
        1,
        Decimal("800000.00"),
        Decimal("9999.00"),
    )
    assert wang.relatedness_score == Decimal("73.00")
    # value points: (0.5 × 100 + 0.2 × 0 + 0.3 × 73 − 0.3 × 0) / 1.0 = 71.9, the higher of the two clients
    #   with positive points (李四: see below): value score, its percentile, 100
    assert wang.value_score == Decimal("100.00")
    # CLV: 12,000 a year, no trend, retention 0.9, discount 8%, 5 years: q = 0.9 / 1.08,
    #   12,000 × q (1 − q⁵) / (1 − q) = 35,887.35
    assert (wang.retention, wang.clv) == (Decimal("0.9000"), Decimal("35887.35"))

    li = ValueScore.objects.get(customer__customer_no="6200000002", as_of=MONTHS[0])
    # risk: worst class 关注 (30 points) vs 45 days overdue (2 × 10 = 20) → 30; 90% of holdings in one R4
    #   product (> 80%: +20); no assessment on file: unknown (None), no points → 50
    assert (li.worst_loan_class, li.max_overdue_days, li.concentration, li.kyc_stale) == (
        "关注",
        45,
        Decimal("0.9000"),
        None,
    )
    assert li.risk_score == Decimal("50.00")
    assert li.contribution_score == Decimal("50.00")  # the smaller of two positive contributions
    # relatedness 0.7 × 50 + 3 = 38; points (0.5 × 50 + 0.3 × 38 − 0.3 × 50) = 21.4 → percentile 50
    assert (li.relatedness_score, li.value_score) == (Decimal("38.00"), Decimal("50.00"))
    # retention: 0.9 × (1 − 0.5 × 100,000 / (900,000 + 100,000)) = 0.855
    assert li.retention == Decimal("0.8550")


def test_override_pending_changes_nothing_approved_holds_the_tier(bank, lake) -> None:  # type: ignore[no-untyped-def]
    wang = bank.customers["wang"]
    run_month(MONTHS[0], {wang.customer_no: {"deposit_madb": 60_000}})
    override = request_override(
        actor=bank.user("rm_cy"), customer=wang, kind="override", tier="platinum",
        reason="家族企业即将上市，资金将转入我行",
    )  # fmt: skip
    run_month(MONTHS[1], {wang.customer_no: {"deposit_madb": 60_000}})
    assert tier_of(wang.customer_no, MONTHS[1]) == ("gold", "gold", "active", 0)
    assert Customer.objects.get(pk=wang.pk).tier == "gold"

    decide_override(actor=bank.user("head_bj"), override=override, approve=True, note="同意")
    assert Customer.objects.get(pk=wang.pk).tier == "platinum"  # at once, not at the next run
    run_month(MONTHS[2], {wang.customer_no: {"deposit_madb": 60_000}})
    row = TierAssignment.objects.get(customer=wang, as_of=MONTHS[2])
    assert (row.qualified_tier, row.rule_tier, row.tier, row.state) == (
        "gold",
        "gold",
        "platinum",
        "override",
    )
    assert Customer.objects.get(pk=wang.pk).tier == "platinum"


def test_disqualification_approved_takes_the_tier_away(bank, lake) -> None:  # type: ignore[no-untyped-def]
    zhao = bank.customers["zhao"]
    run_month(MONTHS[0], {zhao.customer_no: {"deposit_madb": 7_000_000}})
    override = request_override(
        actor=bank.user("rm_pd"), customer=zhao, kind="disqualify", reason="资金来源存疑，合规要求暂停权益"
    )
    decide_override(actor=bank.user("head_office"), override=override, approve=True)
    run_month(MONTHS[1], {zhao.customer_no: {"deposit_madb": 7_000_000}})
    assert tier_of(zhao.customer_no, MONTHS[1]) == ("diamond", "mass", "disqualified", 0)


def test_rerunning_a_month_replaces_it_without_new_events(bank, lake) -> None:  # type: ignore[no-untyped-def]
    run_month(MONTHS[0], {"6200000002": {"deposit_madb": 49_999.99}})
    events = BusinessEvent.objects.filter(verb="tier.changed").count()
    counts = run_month(MONTHS[0], {"6200000002": {"deposit_madb": 49_999.99}})
    assert counts["tier_changes"] == 0
    assert BusinessEvent.objects.filter(verb="tier.changed").count() == events
    assert TierAssignment.objects.filter(as_of=MONTHS[0]).count() == 5


def test_a_day_that_is_not_a_month_end_is_refused(bank, lake) -> None:  # type: ignore[no-untyped-def]
    with translation.override("en"), pytest.raises(ValidationError, match="2026-01-30 is not a month end"):
        run_month(dt.date(2026, 1, 30), {"6200000002": {"deposit_madb": 1}})
    assert not TierAssignment.objects.exists() and not ValueScore.objects.exists()


def test_corporate_strategic_tier_needs_the_value_floor_and_one_bar(bank, lake) -> None:  # type: ignore[no-untyped-def]
    from keyclient.customers.services import search_keys

    def corporate(number: str, name: str) -> Customer:
        return Customer.objects.create(
            customer_no=number, kind="corporate", name=name, id_type="uscc", id_number="91110108MA01ABCD1X",
            home_org_unit=bank.units["hd"], primary_rm=bank.user("rm_hd"), tier="corporate_general",
            **search_keys(name=name, id_number="91110108MA01ABCD1X", mobile=""),
        )  # fmt: skip

    corporate("8800000001", "甲科技有限公司")
    corporate("8800000002", "乙贸易有限公司")
    corporate("8800000003", "丙集团有限公司")
    Customer.objects.filter(kind="corporate").update(risk_assessed_on=dt.date(2026, 1, 1))
    run_month(
        MONTHS[0],
        {
            # Scores are percentiles among the three corporates (contributions 1,000 < 200,000 < 5,000,000).
            # deposits exactly at the sub-branch bar (10,000,000); contribution 200,000 → score 66.67, value
            #   66.67 ≥ 35 (branch floor) but no branch bar is reached (1,000,000 / 50,000,000 /
            #   100,000,000) → sub-branch
            "8800000001": {"deposit_madb": 10_000_000, "contribution_month": 200_000},
            # loans past the head-office bar, but a contribution of 1,000 → score 33.33, value 33.33: below
            #   the head-office (50) and branch (35) floors, above sub-branch (20) → sub-branch
            "8800000002": {"loan_madb": 600_000_000, "contribution_month": 1_000},
            # the head-office contribution bar (5,000,000) and the top value → head office
            "8800000003": {"contribution_month": 5_000_000},
        },
    )
    first = ValueScore.objects.get(customer__customer_no="8800000001", as_of=MONTHS[0])
    second = ValueScore.objects.get(customer__customer_no="8800000002", as_of=MONTHS[0])
    assert (first.contribution_score, first.value_score) == (Decimal("66.67"), Decimal("66.67"))
    assert (second.contribution_score, second.value_score) == (Decimal("33.33"), Decimal("33.33"))
    assert tier_of("8800000003", MONTHS[0]) == ("strategic_head_office", "strategic_head_office", "active", 0)
    assert tier_of("8800000001", MONTHS[0]) == ("strategic_sub_branch", "strategic_sub_branch", "active", 0)
    assert tier_of("8800000002", MONTHS[0]) == ("strategic_sub_branch", "strategic_sub_branch", "active", 0)
    assert TierAssignment.objects.get(customer__customer_no="8800000001", as_of=MONTHS[0]).basis == Decimal(
        "200000.00"
    )


def test_a_month_end_tier_change_is_a_field_change_of_the_client_master(bank, lake) -> None:  # type: ignore[no-untyped-def]
    from keyclient.audit.models import FieldChange

    run_month(MONTHS[0], {"6200000003": {"deposit_madb": 30_000, "investment_madb": 20_000}})
    li = Customer.objects.get(customer_no="6200000002")
    changes = list(
        FieldChange.objects.filter(model="customers.Customer").values_list(
            "actor_name", "object_id", "customer_id", "field", "old", "new"
        )
    )
    tier_events = BusinessEvent.objects.filter(verb="tier.changed").count()
    assert len(changes) == tier_events  # one tier row per client whose tier changed, nothing else
    assert ("job:valuation", str(li.pk), li.pk, "tier", "platinum", "mass") in changes
    again = FieldChange.objects.count()
    run_month(MONTHS[0], {"6200000003": {"deposit_madb": 30_000, "investment_madb": 20_000}})
    assert FieldChange.objects.count() == again  # a re-run changes no tier: no row
