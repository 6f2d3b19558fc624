"""Handover: an RM's whole book to another RM — primary and secondary coverage, team seats, open tasks,
requests naming the RM — with a pack and an introduction task per client, nothing left orphaned."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from keyclient.audit.models import BusinessEvent
from keyclient.coverage import services
from keyclient.coverage.handover import hand_over, orphans
from keyclient.coverage.models import AssignmentRequest, Coverage, Handover, HandoverItem
from keyclient.customers.models import Customer, ServiceTeamMember
from keyclient.customers.services import search_keys
from keyclient.engagement.models import Task

REASON = "RM moves to head office"


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def _book(bank):  # type: ignore[no-untyped-def]
    """rm_hd2's book: 李四 and 钱七 as primary, 张三 as secondary (30%) and investment advisor, an open
    task on 李四, and rm_hd's pending request to make rm_hd2 张三's primary RM."""
    rm, rm2, head = bank.user("rm_hd"), bank.user("rm_hd2"), bank.user("head_bj")
    zhang, li = bank.customers["zhang"], bank.customers["li"]
    services.set_split(
        actor=head, customer=zhang, split={rm.pk: "70", rm2.pk: "30"}, reason="shared client split"
    )
    ServiceTeamMember.objects.create(customer=zhang, member=rm2, team_role="investment_advisor")
    Task.objects.create(
        owner=rm2, customer=li, title="call back", due_on=timezone.localdate(), created_at=timezone.now()
    )
    services.reassign(actor=rm, customer=zhang, rm=rm2, reason="rm_hd2 knows the family better")


def test_handover_moves_the_whole_book_and_leaves_nothing(bank):
    lead, rm, rm2 = bank.user("lead_hd"), bank.user("rm_hd"), bank.user("rm_hd2")
    zhang, li, served = bank.customers["zhang"], bank.customers["li"], bank.customers["served"]
    _book(bank)
    handover = hand_over(actor=lead, from_rm=rm2, to_rm=rm, reason=REASON)
    assert orphans(rm2) == {
        "primary_rm": 0,
        "coverage": 0,
        "service_team": 0,
        "open_tasks": 0,
        "requests_naming_rm": 0,
    }
    assert handover.completed_at is not None
    assert handover.report == {
        "clients": 3, "primary": 2, "secondary": 1, "team_seats": 1, "tasks_moved": 1, "requests_closed": 1,
        "introduction_tasks": 3, "left": orphans(rm2),
    }  # fmt: skip
    assert dict(Customer.objects.filter(pk__in=[li.pk, served.pk]).values_list("pk", "primary_rm_id")) == {
        li.pk: rm.pk, served.pk: rm.pk}  # fmt: skip
    assert list(Coverage.objects.filter(customer=zhang).values_list("rm_id", "role", "share")) == [
        (rm.pk, "primary", Decimal("100.00"))]  # fmt: skip
    assert ServiceTeamMember.objects.filter(
        customer=zhang, member=rm, team_role="investment_advisor"
    ).exists()
    assert AssignmentRequest.objects.get(customer=zhang).status == "rejected"
    intro = Task.objects.filter(owner=rm, kind="introduction").order_by("customer_id")
    assert [t.customer_id for t in intro] == sorted([zhang.pk, li.pk, served.pk])
    items = {i.customer_id: i for i in HandoverItem.objects.filter(handover=handover)}
    assert items[zhang.pk].pack["coverage"] == [
        {"rm": "E1001", "role": "primary", "share": "70.00"}, {"rm": "E1002", "role": "secondary", "share": "30.00"}]  # fmt: skip
    assert items[zhang.pk].pack["open_approvals"][0]["type"] == "rm_change"
    assert items[li.pk].pack["open_tasks"][0]["title"] == "call back"
    assert items[served.pk].pack["service_team"] == [{"member": "E1005", "role": "investment_advisor"}]
    assert items[li.pk].task.owner_id == rm.pk
    assert BusinessEvent.objects.filter(verb="coverage.handed_over").count() == 3
    assert BusinessEvent.objects.filter(verb="handover.done").count() == 1
    assert not Customer.objects.visible_to(rm2).exists()
    assert set(Customer.objects.visible_to(rm).values_list("pk", flat=True)) == {zhang.pk, li.pk, served.pk}


def _written() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Handover, HandoverItem, Task, Coverage, BusinessEvent))


def test_handover_refusals_write_nothing(bank):
    _book(bank)
    before = _written()
    with pytest.raises(PermissionDenied):
        hand_over(
            actor=bank.user("rm_hd"), from_rm=bank.user("rm_hd2"), to_rm=bank.user("rm_hd"), reason=REASON
        )
    with pytest.raises(PermissionDenied, match="outside your scope"):  # rm_pd's book is in Shanghai
        hand_over(
            actor=bank.user("lead_hd"), from_rm=bank.user("rm_pd"), to_rm=bank.user("rm_hd"), reason=REASON
        )
    with pytest.raises(ValidationError):
        hand_over(
            actor=bank.user("lead_hd"), from_rm=bank.user("rm_hd2"), to_rm=bank.user("rm_hd2"), reason=REASON
        )
    with pytest.raises(ValidationError):  # not in the lead's team
        hand_over(
            actor=bank.user("lead_hd"), from_rm=bank.user("rm_hd2"), to_rm=bank.user("rm_cy"), reason=REASON
        )
    assert _written() == before


def _statements(bank, n: int) -> int:  # type: ignore[no-untyped-def]
    rm2 = bank.user("rm_hd2")
    start = Customer.objects.count()
    for i in range(n):
        Customer.objects.create(
            customer_no=f"64{start + i:08d}", kind="individual", name=f"客户{i}", id_type="resident_id",
            id_number=f"1102{i:014d}", home_org_unit=bank.units["hd"], primary_rm=rm2, tier="mass",
            **search_keys(name=f"客户{i}", id_number=f"1102{i:014d}", mobile=""),
        )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        hand_over(actor=bank.user("head_bj"), from_rm=rm2, to_rm=bank.user("rm_hd"), reason=REASON)
    hand_over(actor=bank.user("head_bj"), from_rm=bank.user("rm_hd"), to_rm=rm2, reason=REASON)  # back
    return len(queries)


def test_handover_is_set_based(bank):
    assert _statements(bank, 2) == _statements(bank, 25)


def test_handover_screens(bank, login):
    lead, rm, rm2 = bank.user("lead_hd"), bank.user("rm_hd"), bank.user("rm_hd2")
    assert login(rm).get("/coverage/handovers/new/").status_code == 403
    client = login(lead)
    assert client.get("/coverage/handovers/new/").status_code == 200
    response = client.post("/coverage/handovers/new/", {"from_rm": rm2.pk, "to_rm": rm.pk, "reason": REASON})
    handover = Handover.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/coverage/handovers/{handover.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "已完成：没有任何事项仍指向移交人。" in page  # the UI speaks Chinese by default
    assert "李四" in page and "钱七" in page
    assert orphans(rm2) == dict.fromkeys(orphans(rm2), 0)
