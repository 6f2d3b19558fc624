"""Assignment: credit splits, history, approval by a second person, scope refusals writing nothing,
bulk assignment with a pinned query count, and the primary RM and the scope following a change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from keyclient.audit.models import BusinessEvent, FieldChange
from keyclient.coverage import services
from keyclient.coverage.groups import kept_together
from keyclient.coverage.models import AssignmentRequest, Coverage, CoverageChange
from keyclient.customers.models import Customer
from keyclient.customers.services import search_keys

REASON = "book rebalanced after review"


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def _mass(bank, n: int, unit: str = "hd", rm=None) -> list[Customer]:  # type: ignore[no-untyped-def]
    """`n` mass clients at `unit` (their service level asks no dedicated RM)."""
    made, start = [], Customer.objects.count()
    for i in range(n):
        no = f"63{start + i:08d}"
        made.append(Customer.objects.create(
            customer_no=no, kind="individual", name=f"客户{i}", id_type="resident_id", id_number=f"1101{i:014d}",
            home_org_unit=bank.units[unit], primary_rm=rm, tier="mass",
            **search_keys(name=f"客户{i}", id_number=f"1101{i:014d}", mobile=""),
        ))  # fmt: skip
    return made


def _written() -> tuple[int, int, int, int, int]:
    return (
        Coverage.objects.count(),
        CoverageChange.objects.count(),
        AssignmentRequest.objects.count(),
        BusinessEvent.objects.count(),
        FieldChange.objects.count(),
    )


def _split(customer: Customer) -> dict[str, Decimal]:
    return dict(Coverage.objects.filter(customer=customer).values_list("rm__username", "share"))


def test_assign_writes_coverage_history_event_and_primary_rm_and_the_scope_follows(bank):
    head, rm = bank.user("head_bj"), bank.user("rm_hd")
    (client,) = _mass(bank, 1)
    assert not Customer.objects.visible_to(rm).filter(pk=client.pk).exists()
    outcome = services.assign(
        actor=head, customer=client, rm=rm, reason=REASON, effective_on=dt.date(2026, 12, 1)
    )
    assert outcome.applied and outcome.request is None
    assert _split(client) == {"E1001": Decimal("100.00")}
    client.refresh_from_db()
    assert client.primary_rm_id == rm.pk
    change = CoverageChange.objects.get(customer=client)
    assert (change.kind, change.role, change.from_rm_id, change.to_rm_id, change.share_to) == (
        "assign", "primary", None, rm.pk, Decimal("100.00"))  # fmt: skip
    assert (change.effective_on, change.reason, change.changed_by_id, change.approved_by_id) == (
        dt.date(2026, 12, 1), REASON, head.pk, None)  # fmt: skip
    field = FieldChange.objects.get(customer_id=client.pk, field="primary_rm")
    assert (field.old, field.new, field.actor_id) == ("", str(rm.pk), head.pk)
    event = BusinessEvent.objects.get(verb="coverage.assigned", customer_id=client.pk)
    assert event.after["primary"] == rm.pk and event.actor_id == head.pk
    assert Customer.objects.visible_to(rm).filter(pk=client.pk).exists()


def test_credit_split_and_its_history(bank):
    head, rm, rm2 = bank.user("head_bj"), bank.user("rm_hd"), bank.user("rm_hd2")
    (client,) = _mass(bank, 1, rm=rm)
    services.set_split(actor=head, customer=client, split={rm.pk: "60", rm2.pk: "40"}, reason=REASON)
    assert _split(client) == {"E1001": Decimal("60.00"), "E1002": Decimal("40.00")}
    rows = sorted(CoverageChange.objects.filter(customer=client).values_list(
        "role", "from_rm_id", "to_rm_id", "share_from", "share_to"))  # fmt: skip
    assert rows == [
        ("primary", rm.pk, rm.pk, Decimal("100.00"), Decimal("60.00")),
        ("secondary", None, rm2.pk, None, Decimal("40.00")),
    ]
    # The secondary becomes primary: it takes the old primary's share on top of its own.
    services.reassign(actor=head, customer=client, rm=rm2, reason=REASON)
    assert _split(client) == {"E1002": Decimal("100.00")}
    client.refresh_from_db()
    assert client.primary_rm_id == rm2.pk


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ({"rm_hd": "60", "rm_hd2": "30"}, "The shares sum to 90, not 100."),
        ({"rm_hd": "100", "rm_hd2": "10"}, "The shares sum to 110, not 100."),
        ({"rm_hd2": "100"}, "The primary RM must have a share of the credit."),
        ({"rm_hd": "110", "rm_hd2": "-10"}, "a share is above 0 and at most 100"),
        ({"rm_hd": "99.995", "rm_hd2": "0.005"}, "with at most 2 decimals"),
        ({"rm_hd": "abc"}, "is not a percentage"),
    ],
)
def test_bad_splits_are_refused_naming_why_and_write_nothing(bank, split, message):
    head = bank.user("head_bj")
    (client,) = _mass(bank, 1, rm=bank.user("rm_hd"))
    services.backfill(Customer.objects.filter(pk=client.pk))
    before = _written()
    raw = {bank.user(k).pk: v for k, v in split.items()}
    with pytest.raises(ValidationError) as refused:
        services.set_split(actor=head, customer=client, split=raw, reason=REASON)
    assert message in " ".join(refused.value.message_dict["split"])
    assert _written() == before


def test_reassigning_a_dedicated_client_waits_for_a_second_person(bank):
    lead, head, rm, rm2 = bank.user("lead_hd"), bank.user("head_bj"), bank.user("rm_hd"), bank.user("rm_hd2")
    li = bank.customers["li"]  # platinum: the service level asks a dedicated RM
    outcome = services.reassign(actor=lead, customer=li, rm=rm, reason=REASON)
    assert not outcome.applied
    request = outcome.request
    assert (request.status, request.primary_id, request.primary_before_id) == ("pending", rm.pk, rm2.pk)
    li.refresh_from_db()
    assert li.primary_rm_id == rm2.pk
    assert not CoverageChange.objects.filter(customer=li).exists()
    # The requester cannot decide; nor can an RM (not an approver).
    with pytest.raises(PermissionDenied, match="A second person must decide"):
        services.decide(actor=lead, request=request, approve=True)
    with pytest.raises(PermissionDenied):
        services.decide(actor=rm, request=request, approve=True)
    request.refresh_from_db()
    assert request.status == "pending"
    services.decide(actor=head, request=request, approve=True, note="ok")
    li.refresh_from_db()
    assert li.primary_rm_id == rm.pk
    change = CoverageChange.objects.get(customer=li)
    assert (change.from_rm_id, change.to_rm_id, change.changed_by_id, change.approved_by_id) == (
        rm2.pk, rm.pk, lead.pk, head.pk)  # fmt: skip
    assert (
        BusinessEvent.objects.filter(verb="coverage.approved", actor_id=head.pk, customer_id=li.pk).count()
        == 1
    )
    assert Customer.objects.visible_to(rm).filter(pk=li.pk).exists()
    assert not Customer.objects.visible_to(rm2).filter(pk=li.pk).exists()


def test_a_second_open_request_is_refused(bank):
    lead = bank.user("lead_hd")
    services.reassign(actor=lead, customer=bank.customers["li"], rm=bank.user("rm_hd"), reason=REASON)
    before = _written()
    with pytest.raises(ValidationError, match="already has an open RM change request"):
        services.release(actor=lead, customer=bank.customers["li"], reason=REASON)
    assert _written() == before


def test_scope_refusals_write_nothing(bank):
    rm = bank.user("rm_hd")
    before = _written()
    # 李四 is rm_hd2's client: outside rm_hd's book.
    with pytest.raises(PermissionDenied):
        services.reassign(actor=rm, customer=bank.customers["li"], rm=rm, reason=REASON)
    # His own client, handed to an RM of another city: not within his reach.
    with pytest.raises(ValidationError, match="You may not assign clients to"):
        services.reassign(actor=rm, customer=bank.customers["zhang"], rm=bank.user("rm_pd"), reason=REASON)
    # Compliance changes nothing.
    with pytest.raises(PermissionDenied):
        services.release(actor=bank.user("compliance"), customer=bank.customers["zhang"], reason=REASON)
    # A reason a second person can judge.
    with pytest.raises(ValidationError, match="at least 10 characters"):
        services.release(actor=bank.user("head_bj"), customer=bank.customers["zhang"], reason="x")
    assert _written() == before


def test_release_leaves_the_client_uncovered(bank):
    head = bank.user("head_bj")
    (client,) = _mass(bank, 1, rm=bank.user("rm_hd"))
    services.release(actor=head, customer=client, reason=REASON)
    client.refresh_from_db()
    assert client.primary_rm_id is None
    assert not Coverage.objects.filter(customer=client).exists()
    change = CoverageChange.objects.get(customer=client)
    assert (change.kind, change.from_rm_id, change.to_rm_id) == ("release", bank.user("rm_hd").pk, None)


def _bulk_queries(bank, n: int) -> int:  # type: ignore[no-untyped-def]
    clients = _mass(bank, n)
    with CaptureQueriesContext(connection) as queries:
        result = services.bulk_assign(
            actor=bank.user("head_bj"), ids=[c.pk for c in clients], rm=bank.user("rm_hd"), reason=REASON
        )
    assert result == services.BulkOutcome(applied=n, requested=0, unchanged=0)
    return len(queries)


def test_bulk_assignment_is_set_based(bank):
    small = _bulk_queries(bank, 3)
    assert _bulk_queries(bank, 40) == small


def test_bulk_assignment_writes_every_row(bank):
    head, rm, rm2 = bank.user("head_bj"), bank.user("rm_hd"), bank.user("rm_hd2")
    uncovered = _mass(bank, 2)
    shared = _mass(bank, 1, rm=rm2)[0]
    services.set_split(actor=head, customer=shared, split={rm2.pk: "70", rm.pk: "30"}, reason=REASON)
    li = bank.customers["li"]  # dedicated: held for approval
    ids = [c.pk for c in (*uncovered, shared, li)]
    result = services.bulk_assign(actor=head, ids=ids, rm=rm, reason=REASON)
    assert result == services.BulkOutcome(applied=3, requested=1, unchanged=0)
    assert _split(uncovered[0]) == {"E1001": Decimal("100.00")}
    assert _split(shared) == {"E1001": Decimal("100.00")}
    assert set(Customer.objects.filter(pk__in=ids).values_list("pk", "primary_rm_id")) == {
        (uncovered[0].pk, rm.pk), (uncovered[1].pk, rm.pk), (shared.pk, rm.pk), (li.pk, rm2.pk)}  # fmt: skip
    history = sorted(CoverageChange.objects.filter(customer=shared, kind="reassign").values_list(
        "role", "from_rm_id", "to_rm_id", "share_from", "share_to"))  # fmt: skip
    assert history == [
        ("primary", rm2.pk, rm.pk, Decimal("70.00"), Decimal("100.00")),
        ("secondary", rm.pk, None, Decimal("30.00"), None),
    ]
    assert CoverageChange.objects.filter(customer__in=uncovered, kind="assign", to_rm=rm).count() == 2
    assert AssignmentRequest.objects.get(customer=li).split == {str(rm.pk): "100.00"}
    assert FieldChange.objects.filter(field="primary_rm", new=str(rm.pk)).count() == 3
    assert BusinessEvent.objects.filter(verb="coverage.assigned").count() == 2
    assert BusinessEvent.objects.filter(verb="coverage.reassigned").count() == 1
    assert BusinessEvent.objects.filter(verb="coverage.requested").count() == 1


def test_bulk_assignment_outside_scope_writes_nothing(bank):
    lead = bank.user("lead_hd")
    mine = _mass(bank, 2, rm=bank.user("rm_hd"))
    before = _written()
    with pytest.raises(PermissionDenied, match="1 of the chosen clients"):
        services.bulk_assign(actor=lead, ids=[*(c.pk for c in mine), bank.customers["wang"].pk],
                             rm=bank.user("rm_hd2"), reason=REASON)  # fmt: skip
    assert _written() == before


def test_households_and_groups_are_kept_together(bank):
    from keyclient.relationships.models import CustomerLink

    a, b, c, d, e = _mass(bank, 5)
    CustomerLink.objects.create(from_customer=a, to_customer=b, link_type="household", source="rm_input")
    CustomerLink.objects.create(from_customer=c, to_customer=b, link_type="household", source="rm_input")
    CustomerLink.objects.create(from_customer=d, to_customer=e, link_type="referral", source="rm_input")
    CustomerLink.objects.create(from_customer=d, to_customer=e, link_type="group_member", source="rm_input",
                                end_date=dt.date(2020, 1, 1))  # fmt: skip
    together = kept_together([a.pk, d.pk])
    assert together == {a.pk: frozenset({a.pk, b.pk, c.pk}), d.pk: frozenset({d.pk})}
