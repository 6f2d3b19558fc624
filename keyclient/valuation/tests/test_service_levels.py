"""Service levels per tier: the level resolved for each tier and for a head-office grant, versioning
with the policy, the set-based read, shortfalls, and refusals that write nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from keyclient.audit.models import BusinessEvent
from keyclient.customers.models import Customer, ServiceTeamMember
from keyclient.valuation.entitlement import (
    service_level_for,
    service_levels_for,
    shortfalls_for,
    with_service_tier,
)
from keyclient.valuation.models import ServiceLevelGrant, TierPolicy
from keyclient.valuation.policy import PolicyError
from keyclient.valuation.service_grants import (
    end_service_level_grant,
    grant_service_level,
    save_service_levels,
)
from keyclient.valuation.service_levels import declared_levels, default_service_levels, validate_levels
from keyclient.valuation.services import publish_policy, published_policy, start_draft

REASON = "family office moving 30 million to the bank"

# tier: (dedicated RM, team, roles, sponsor, contact, review, needs review, response hours, benefits)
EXPECTED = {
    "mass": (False, False, (), False, 0, 0, 0, 48, ()),
    "gold": (True, False, (), False, 6, 0, 24, 24, ("fee_waiver",)),
    "platinum": (True, False, (), False, 3, 12, 12, 24, ("fee_waiver", "priority_lane")),
    "diamond": (True, True, ("investment_advisor",), False, 1, 6, 12, 8, ("fee_waiver", "priority_lane", "lounge")),
    "private_banking": (True, True, ("investment_advisor", "legal_tax"), False, 1, 3, 6, 4,
                        ("fee_waiver", "priority_lane", "lounge", "events")),
    "corporate_general": (True, False, (), False, 6, 0, 24, 48, ()),
    "strategic_sub_branch": (True, True, ("credit_officer",), False, 1, 6, 12, 24, ("priority_lane",)),
    "strategic_branch": (True, True, ("credit_officer", "assistant_rm"), True, 1, 3, 12, 8,
                         ("fee_waiver", "priority_lane", "events")),
    "strategic_head_office": (True, True, ("credit_officer", "assistant_rm", "legal_tax"), True, 1, 3, 6, 4,
                              ("fee_waiver", "priority_lane", "lounge", "events")),
}  # fmt: skip


def _fields(level) -> tuple:  # type: ignore[no-untyped-def]
    return (
        level.dedicated_rm, level.service_team, level.team_roles, level.senior_sponsor, level.contact_every_months,
        level.review_every_months, level.needs_review_every_months, level.response_hours, level.benefits,
    )  # fmt: skip


def _events(verb: str) -> int:
    return BusinessEvent.objects.filter(verb=verb).count()


@pytest.mark.parametrize("tier", sorted(EXPECTED))
def test_the_level_resolved_for_each_tier(bank, tier):
    published_policy()  # version 1, from the defaults
    zhang = bank.customers["zhang"]
    Customer.objects.filter(pk=zhang.pk).update(tier=tier)
    resolved = service_level_for(zhang)
    assert (resolved.tier, resolved.level.tier, resolved.policy_version, resolved.grant) == (
        tier,
        tier,
        1,
        None,
    )
    assert _fields(resolved.level) == EXPECTED[tier]


def test_a_grant_resolves_to_the_granted_tier_and_ending_it_returns_to_the_own_tier(bank):
    head = bank.user("head_office")
    zhao = bank.customers["zhao"]  # diamond
    grant = grant_service_level(actor=head, customer=zhao, tier="private_banking", reason=REASON)
    resolved = service_level_for(zhao)
    assert (resolved.tier, resolved.level.tier, resolved.source) == ("diamond", "private_banking", "grant")
    assert (resolved.grant.id, resolved.grant.reason, resolved.grant.granted_by) == (grant.pk, REASON, "冯总")
    assert _fields(resolved.level) == EXPECTED["private_banking"]
    event = BusinessEvent.objects.get(verb="service_level.granted")
    assert (event.customer_id, event.after, event.note) == (
        zhao.pk,
        {"id": grant.pk, "tier": "private_banking"},
        REASON,
    )

    end_service_level_grant(actor=head, grant=grant, reason="assets moved elsewhere after all")
    resolved = service_level_for(zhao)
    assert (resolved.level.tier, resolved.grant) == ("diamond", None)
    assert _events("service_level.ended") == 1


def test_the_set_based_read_takes_three_queries_whatever_the_number_of_clients(
    bank, django_assert_num_queries
):
    head = bank.user("head_office")
    published_policy()
    grant_service_level(actor=head, customer=bank.customers["wang"], tier="diamond", reason=REASON)
    with django_assert_num_queries(3):
        resolved = service_levels_for(Customer.objects.all())
    assert {pk: r.level.tier for pk, r in resolved.items()} == {
        c.pk: t
        for c, t in (
            (bank.customers["zhang"], "private_banking"), (bank.customers["li"], "platinum"),
            (bank.customers["wang"], "diamond"), (bank.customers["zhao"], "diamond"),
            (bank.customers["served"], "platinum"),
        )
    }  # fmt: skip
    annotated = dict(with_service_tier(Customer.objects.all()).values_list("customer_no", "service_tier"))
    assert annotated["6200000003"] == "diamond" and annotated["6200000002"] == "platinum"


def test_a_published_versions_levels_are_unchanged_by_a_new_draft(bank):
    head = bank.user("head_office")
    v1 = published_policy()
    draft = start_draft(actor=head)
    levels = default_service_levels()
    levels["private_banking"]["contact_every_months"] = 2
    save_service_levels(actor=head, policy=draft, levels=levels)
    zhang = bank.customers["zhang"]
    v1.refresh_from_db()
    assert declared_levels(v1.rules)["private_banking"]["contact_every_months"] == 1
    assert (service_level_for(zhang).policy_version, service_level_for(zhang).level.contact_every_months) == (
        1,
        1,
    )
    assert _events("service_levels.edited") == 1

    publish_policy(actor=head, policy=draft)
    resolved = service_level_for(zhang)
    assert (resolved.policy_version, resolved.level.contact_every_months) == (2, 2)
    # The published version is read-only now: nothing changes, nothing is recorded.
    levels["private_banking"]["contact_every_months"] = 5
    with pytest.raises(ValidationError):
        save_service_levels(actor=head, policy=TierPolicy.objects.get(version=2), levels=levels)
    assert (
        declared_levels(TierPolicy.objects.get(version=2).rules)["private_banking"]["contact_every_months"]
        == 2
    )
    assert _events("service_levels.edited") == 1


def test_wrong_levels_are_named_and_nothing_is_saved(bank):
    head = bank.user("head_office")
    draft = start_draft(actor=head)
    before = draft.rules
    levels = default_service_levels()
    levels["gold"]["response_hours"] = 0
    levels["mass"]["team_roles"] = ["investment_advisor"]
    levels["diamond"]["benefits"] = ["yacht"]
    with pytest.raises(PolicyError) as caught, translation.override("en"):
        save_service_levels(actor=head, policy=draft, levels=levels)
    assert caught.value.errors == [
        "service_levels.mass: team roles are asked but no service team is required",
        "service_levels.gold.response_hours must be a whole number from 1 to 168",
        "service_levels.diamond.benefits must list distinct values among fee_waiver, priority_lane, lounge, events",
    ]
    draft.refresh_from_db()
    assert draft.rules == before
    assert _events("service_levels.edited") == 0
    assert validate_levels(default_service_levels()) == default_service_levels()


def test_shortfalls_name_what_is_missing(bank):
    published_policy()
    zhang, served, li = bank.customers["zhang"], bank.customers["served"], bank.customers["li"]
    Customer.objects.filter(pk=served.pk).update(tier="diamond")
    Customer.objects.filter(pk=li.pk).update(primary_rm=None)
    with translation.override("en"):
        found = shortfalls_for(Customer.objects.filter(pk__in=[zhang.pk, served.pk, li.pk]))
    assert {pk: [s.text for s in gaps] for pk, gaps in found.items()} == {
        zhang.pk: ["Private banking without a service team"],
        served.pk: [],  # diamond asks for an investment advisor: rm_pd is one
        li.pk: ["No dedicated relationship manager"],
    }
    ServiceTeamMember.objects.create(
        customer=zhang, member=bank.user("rm_cy"), team_role="investment_advisor"
    )
    with translation.override("en"):
        found = shortfalls_for(Customer.objects.filter(pk=zhang.pk))
    assert [s.text for s in found[zhang.pk]] == ["Service team without the role “Legal / tax specialist”"]


@pytest.mark.parametrize("persona", ["rm_hd", "lead_hd", "compliance", "admin", "rm_pd"])
def test_only_head_office_grants_and_a_refusal_writes_nothing(bank, persona):
    with pytest.raises(PermissionDenied):
        grant_service_level(
            actor=bank.user(persona), customer=bank.customers["zhang"], tier="diamond", reason=REASON
        )
    assert ServiceLevelGrant.objects.count() == 0
    assert _events("service_level.granted") == 0


def test_a_grant_needs_a_reason_and_another_tier_of_the_clients_kind(bank):
    head, zhang = bank.user("head_office"), bank.customers["zhang"]
    with translation.override("en"):
        for tier, reason, field in (
            ("diamond", "short", "reason"),
            ("strategic_branch", REASON, "tier"),
            ("private_banking", REASON, "tier"),
        ):
            with pytest.raises(ValidationError) as caught:
                grant_service_level(actor=head, customer=zhang, tier=tier, reason=reason)
            assert list(caught.value.message_dict) == [field]
    grant_service_level(actor=head, customer=zhang, tier="diamond", reason=REASON)
    with pytest.raises(ValidationError):
        grant_service_level(actor=head, customer=zhang, tier="platinum", reason=REASON)
    assert ServiceLevelGrant.objects.count() == 1
    assert _events("service_level.granted") == 1


def test_the_sql_shortfall_flags_agree_with_the_shortfalls(bank, django_assert_num_queries):
    from keyclient.valuation.entitlement import entitlements_for, with_shortfalls

    head = bank.user("head_office")
    published_policy()
    c = bank.customers
    Customer.objects.filter(pk=c["li"].pk).update(primary_rm=None)  # platinum without an RM
    grant_service_level(
        actor=head, customer=c["served"], tier="private_banking", reason=REASON
    )  # advisor only
    Customer.objects.filter(pk=c["wang"].pk).update(tier="strategic_branch")  # a team without a sponsor
    ServiceTeamMember.objects.create(
        customer=c["wang"], member=bank.user("rm_cy"), team_role="credit_officer"
    )
    ServiceTeamMember.objects.create(customer=c["wang"], member=bank.user("rm_pd"), team_role="assistant_rm")
    columns = (
        "customer_no",
        "service_tier",
        "short_rm",
        "short_team",
        "short_roles",
        "short_sponsor",
        "short_any",
    )
    with django_assert_num_queries(2):  # the published policy, then one query for every client
        flags = {row[0]: row[1:] for row in with_shortfalls(Customer.objects.all()).values_list(*columns)}
    assert flags == {
        "6200000001": ("private_banking", False, True, False, False, True),  # 张三: no team
        "6200000002": ("platinum", True, False, False, False, True),  # 李四: no RM
        "6200000003": ("strategic_branch", False, False, False, True, True),  # 王五: no sponsor
        "6200000004": ("diamond", False, True, False, False, True),  # 赵六: no team
        "6200000005": ("private_banking", False, False, True, False, True),  # 钱七: no legal/tax
    }
    numbers = dict(Customer.objects.values_list("pk", "customer_no"))
    found = entitlements_for(Customer.objects.all())
    codes = {numbers[pk]: {s.code for s in gaps} for pk, (_level, gaps) in found.items()}
    assert codes == {
        "6200000001": {"no_team"},
        "6200000002": {"no_rm"},
        "6200000003": {"no_sponsor"},
        "6200000004": {"no_team"},
        "6200000005": {"no_legal_tax"},
    }
