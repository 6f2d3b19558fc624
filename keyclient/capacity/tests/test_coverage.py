"""The coverage dashboard, its lists, the suggestions on the database and applying them (persona bank).

Norms of these tests: a senior RM at most 1 private-banking or diamond client (at least 1), at most
1 platinum or gold; a junior at most 5 gold (at least 1). Beijing after `_load`:
rm_hd (senior, 海淀): 张三 + 新二 (private banking) → over; rm_hd2 (senior, 海淀): 李四 + 钱七
(platinum) → over; rm_cy (junior, 朝阳): 王五 (gold) → within; rm_zgc (junior, 中关村): nothing →
under. 新一 (gold, 中关村) has no RM.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from keyclient.audit.models import BusinessEvent, FieldChange
from keyclient.capacity.models import CapacityNorms
from keyclient.capacity.norms import NormsError, validate
from keyclient.capacity.scope import coverage_scope
from keyclient.capacity.services import apply_lines, draft_norms, publish_norms
from keyclient.capacity.suggestions import suggest
from keyclient.customers.models import Customer
from tests.personas import place

RULES = {
    "norms": [
        {"grade": "senior", "tiers": ["private_banking", "diamond"], "max_clients": 1, "min_clients": 1},
        {"grade": "senior", "tiers": ["platinum", "gold"], "max_clients": 1, "min_clients": 0},
        {"grade": "junior", "tiers": ["gold"], "max_clients": 5, "min_clients": 1},
    ]
}


def _client(bank, no: str, name: str, tier: str, aum: str, unit: str, rm: str | None) -> Customer:
    client = Customer.objects.create(
        customer_no=no, kind="individual", name=name, id_type="resident_id", id_number="x",
        home_org_unit=bank.units[unit], primary_rm=bank.user(rm) if rm else None, tier=tier,
    )  # fmt: skip
    place({client: Decimal(aum)}, None)
    return client


def _load(bank, rules=RULES) -> dict[str, Customer]:
    for name, grade in (("rm_hd", "senior"), ("rm_hd2", "senior"), ("rm_cy", "junior"), ("rm_zgc", "junior")):
        user = bank.user(name)
        user.grade = grade
        user.save(update_fields=["grade"])
    CapacityNorms.objects.create(version=1, status="published", rules=rules)
    return {
        "new1": _client(bank, "6200000101", "新一", "gold", "90000.00", "zgc", None),
        "new2": _client(bank, "6200000102", "新二", "private_banking", "6500000.00", "hd", "rm_hd"),
    }


def test_dashboard_figures_for_the_branch_head(bank, login, django_assert_num_queries):
    _load(bank)
    client = login(bank.user("head_bj"))
    # Session, user, the user's unit, norms, RM loads (GROUP BY), RMs, service levels (twice: the key
    # tiers and the shortfall flags), key coverage (GROUP BY), the session's save (3).
    with django_assert_num_queries(12):
        response = client.get("/coverage/")
    assert response.status_code == 200
    ctx = response.context
    assert (ctx["loads"].over, ctx["loads"].under, ctx["loads"].ungraded) == (2, 1, 0)
    assert [(r.rms, r.clients, r.over, r.under) for r, _label in ctx["norm_rows"]] == [
        (2, 2, 1, 1),  # senior private/diamond: rm_hd holds 2, rm_hd2 none
        (2, 2, 1, 0),
        (2, 1, 0, 1),  # junior gold: rm_cy 1, rm_zgc 0
    ]
    assert ctx["totals"] == {"clients": 6, "no_rm": 1, "no_team": 2}
    key_aum = (
        Decimal("12000000")
        + Decimal("800000")
        + Decimal("60000")
        + Decimal("3000000")
        + Decimal("6500000")
        + Decimal("90000")
    )
    assert ctx["share"] == pytest.approx(float((key_aum - Decimal("90000")) / key_aum))
    body = response.content.decode()
    assert 'href="/coverage/rms/?load=over"' in body and 'href="/coverage/clients/?gap=rm"' in body
    assert "赵六" not in body
    from keyclient.org.models import User

    for n in range(3):  # more RMs with books: not one query more
        rm = User.objects.create(
            username=f"E20{n}", role="relationship_manager", grade="senior", org_unit=bank.units["hd"]
        )
        Customer.objects.filter(
            pk=_client(bank, f"62000002{n}", f"多{n}", "gold", "6E4", "hd", None).pk
        ).update(primary_rm=rm)
    with django_assert_num_queries(4):  # session, user, the user's unit, norms: figures from the cache
        assert client.get("/coverage/").context["loads"].over == 2
    with django_assert_num_queries(9):  # recomputed: the same queries; the session is not saved again
        assert client.get("/coverage/?fresh=1").context["loads"].over == 2


def test_the_lists_behind_the_figures(bank, login):
    _load(bank)
    client = login(bank.user("head_bj"))
    no_rm = client.get("/coverage/clients/?gap=rm")
    assert [c.name for c in no_rm.context["page"].object_list] == ["新一"]
    no_team = client.get("/coverage/clients/?gap=team")
    assert [c.name for c in no_team.context["page"].object_list] == ["张三", "新二"]
    over = client.get("/coverage/rms/?load=over")
    assert sorted(u.username for u, _s, _c in over.context["rows"]) == ["E1001", "E1002"]
    under = client.get("/coverage/rms/?load=under")
    assert [u.username for u, _s, _c in under.context["rows"]] == ["E1011"]


def test_the_dashboard_api_matches_the_screen(bank, login):
    _load(bank)
    data = login(bank.user("head_bj")).get("/api/coverage/").json()
    assert (data["rms_over"], data["rms_under"], data["norms_version"]) == (2, 1, 1)
    assert {t["tier"]: (t["clients"], t["no_rm"], t["no_team"]) for t in data["tiers"]} == {
        "private_banking": (2, 0, 2), "platinum": (2, 0, 0), "gold": (2, 1, 0),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rm_hd", 403), ("rm_pd", 403), ("lead_hd", 200), ("head_bj", 200), ("head_office", 200),
     ("risk", 403), ("compliance", 403), ("admin", 403)],
)  # fmt: skip
def test_who_sees_coverage(bank, login, persona, status):
    _load(bank)
    client = login(bank.user(persona))
    for url in (
        "/coverage/",
        "/coverage/clients/?gap=rm",
        "/coverage/rms/",
        "/coverage/suggestions/",
        "/api/coverage/",
    ):
        assert client.get(url).status_code == status, url


def test_a_unit_outside_the_reach_is_404(bank, login):
    _load(bank)
    client = login(bank.user("head_bj"))
    assert client.get(f"/coverage/?unit={bank.units['pd'].pk}").status_code == 404
    assert client.get(f"/coverage/?unit={bank.units['hd'].pk}").status_code == 200


def test_anonymous_is_sent_to_login(client):
    assert client.get("/coverage/").status_code == 302


def test_the_plan_for_the_branch(bank):
    made = _load(bank)
    plan = suggest(coverage_scope(bank.user("head_bj")))
    assert plan.solution.cost == (0, 0, 3)
    assert sorted((ln.name, ln.from_rm, ln.to_rm, ln.why) for ln in plan.lines) == sorted([
        ("新二", bank.user("rm_hd").pk, bank.user("rm_hd2").pk, "rebalance"),  # the smaller of rm_hd's two
        ("李四", bank.user("rm_hd2").pk, bank.user("rm_hd").pk, "rebalance"),
        ("新一", None, bank.user("rm_zgc").pk, "uncovered"),  # homed at 中关村, where rm_zgc sits
    ])  # fmt: skip
    assert made["new1"].primary_rm_id is None


def test_a_household_stays_with_one_rm(bank):
    from keyclient.relationships.models import CustomerLink

    rules = {"norms": [dict(RULES["norms"][0]), {**RULES["norms"][1], "max_clients": 3}, RULES["norms"][2]]}
    _load(bank, rules)
    new3 = _client(bank, "6200000103", "新三", "platinum", "700000.00", "hd", None)
    CustomerLink.objects.create(
        from_customer=new3,
        to_customer=bank.customers["li"],
        link_type="household",
        role="spouse",
        source="rm_input",
    )
    plan = suggest(coverage_scope(bank.user("head_bj")))
    assert ("新三", None, bank.user("rm_hd2").pk, "household") in [
        (ln.name, ln.from_rm, ln.to_rm, ln.why) for ln in plan.lines
    ]
    assert "李四" not in [ln.name for ln in plan.lines]  # a household member never moves in a rebalance


def test_a_team_lead_applies_two_lines_audited(bank):
    _load(bank)
    lead = bank.user("lead_hd")
    scope = coverage_scope(lead)
    plan = suggest(scope)
    assert sorted(ln.name for ln in plan.lines) == ["新二", "李四"]  # 新一 is outside the team's books
    before = FieldChange.objects.count()
    moved = apply_lines(actor=lead, scope=scope, keys=[ln.key for ln in plan.lines], reason="rebalance Q4")
    assert moved == 2
    li, new2 = Customer.objects.get(customer_no="6200000002"), Customer.objects.get(customer_no="6200000102")
    assert (li.primary_rm_id, new2.primary_rm_id) == (bank.user("rm_hd").pk, bank.user("rm_hd2").pk)
    changes = FieldChange.objects.order_by("customer_id")[before:]
    assert [(c.customer_id, c.field, c.old, c.new, c.actor_name) for c in changes] == [
        (li.pk, "primary_rm", str(bank.user("rm_hd2").pk), str(bank.user("rm_hd").pk), "E1003"),
        (new2.pk, "primary_rm", str(bank.user("rm_hd").pk), str(bank.user("rm_hd2").pk), "E1003"),
    ]
    events = BusinessEvent.objects.filter(verb="coverage.suggestion_applied").order_by("customer_no")
    assert [(e.customer_no, e.after, e.note) for e in events] == [
        ("6200000002", {"primary_rm": bank.user("rm_hd").pk}, "rebalance Q4"),
        ("6200000102", {"primary_rm": bank.user("rm_hd2").pk}, "rebalance Q4"),
    ]
    assert suggest(scope).lines == []


def test_applying_makes_the_cached_figures_stale(bank, login):
    _load(bank)
    client = login(bank.user("lead_hd"))
    assert client.get("/coverage/").context["loads"].over == 2
    lead = bank.user("lead_hd")
    scope = coverage_scope(lead)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        apply_lines(actor=lead, scope=scope, keys=[ln.key for ln in suggest(scope).lines], reason="r")
    assert client.get("/coverage/").context["loads"].over == 0


def _nothing_written(bank, before_changes: int) -> None:
    assert FieldChange.objects.count() == before_changes
    assert not BusinessEvent.objects.filter(verb="coverage.suggestion_applied").exists()
    assert Customer.objects.get(customer_no="6200000102").primary_rm_id == bank.user("rm_hd").pk


@pytest.mark.parametrize(
    "case", ["stale", "over_norm", "out_of_scope", "no_reason", "wrong_grade", "garbled"]
)
def test_a_bad_line_writes_nothing(bank, case):
    made = _load(bank)
    lead = bank.user("lead_hd")
    hd, hd2 = bank.user("rm_hd").pk, bank.user("rm_hd2").pk
    zhang, zhao = bank.customers["zhang"].pk, bank.customers["zhao"].pk
    good = f"{made['new2'].pk}:{hd}:{hd2}"
    keys, reason = {
        "stale": ([good, f"{zhang}:{hd2}:{hd}"], "r"),  # 张三 is rm_hd's, not rm_hd2's
        "over_norm": ([good, f"{zhang}:{hd}:{hd2}"], "r"),  # rm_hd2 would hold 2 private/diamond
        "out_of_scope": ([good, f"{zhao}:{bank.user('rm_pd').pk}:{hd}"], "r"),
        "no_reason": ([good], "  "),
        "wrong_grade": (
            [good, f"{made['new1'].pk}:0:{bank.user('rm_hd').pk}"],
            "r",
        ),  # 新一 is not the team's
        "garbled": ([good, "12;4"], "r"),
    }[case]
    before = FieldChange.objects.count()
    with pytest.raises(ValidationError):
        apply_lines(actor=lead, scope=coverage_scope(lead), keys=keys, reason=reason)
    _nothing_written(bank, before)


def test_only_team_leads_and_branch_heads_apply(bank, login):
    made = _load(bank)
    head = bank.user("head_office")
    before = FieldChange.objects.count()
    with pytest.raises(PermissionDenied):
        apply_lines(actor=head, scope=coverage_scope(head), keys=[f"{made['new2'].pk}:1:2"], reason="r")
    response = login(head).post(
        "/api/coverage/suggestions/apply/",
        {"lines": [f"{made['new2'].pk}:1:2"], "reason": "r"},
        content_type="application/json",
    )
    assert response.status_code == 403
    _nothing_written(bank, before)


def test_norms_are_validated_drafted_and_published(bank):
    with pytest.raises(NormsError) as error, translation.override("en"):
        validate({"norms": [
            {"grade": "senior", "tiers": ["diamond"], "max_clients": 0},
            {"grade": "boss", "tiers": ["diamond", "gold"], "max_clients": 3, "min_clients": 5},
            {"grade": "senior", "tiers": ["diamond"], "max_clients": 3},
        ]})  # fmt: skip
    assert error.value.errors == [
        "norm 1: the maximum must be a whole number ≥ 1, not 0",
        "norm 2: unknown grade 'boss'",
        "norm 2: the minimum must be a whole number between 0 and the maximum, not 5",
        "norm 3: grade senior and tier diamond are already in norm 1",
    ]
    head = bank.user("head_office")
    with pytest.raises(PermissionDenied):
        draft_norms(actor=bank.user("head_bj"), rules=RULES)
    assert not CapacityNorms.objects.exists()
    draft = draft_norms(actor=head, rules=RULES, note="tighter")
    publish_norms(actor=head, norms=draft)
    second = publish_norms(actor=head, norms=draft_norms(actor=head))
    assert list(CapacityNorms.objects.order_by("version").values_list("version", "status")) == [
        (1, "retired"),
        (2, "published"),
    ]
    assert second.rules == RULES
    assert list(BusinessEvent.objects.filter(verb__startswith="capacity_norms").order_by("id").values_list("verb", "after")) == [
        ("capacity_norms.drafted", {"version": 1}), ("capacity_norms.published", {"version": 1}),
        ("capacity_norms.drafted", {"version": 2}), ("capacity_norms.published", {"version": 2}),
    ]  # fmt: skip
