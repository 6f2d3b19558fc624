"""Compliance searches and exports the audit trail."""

from __future__ import annotations

import csv
import io

import pytest

from keyclient.audit.models import AccessEvent
from keyclient.audit.services import record_access, record_event


@pytest.fixture
def trail(bank):  # type: ignore[no-untyped-def]
    record_access(actor=bank.user("rm_hd"), action="view_client", customer=bank.customers["zhang"])
    record_access(actor=bank.user("rm_pd"), action="view_client", customer=bank.customers["zhao"])
    record_access(
        actor=bank.user("rm_hd"),
        action="unmask_field",
        customer=bank.customers["zhang"],
        fields=["mobile"],
        reason="回访",
    )
    record_event(
        actor=bank.user("head_bj"),
        verb="rm_reassigned",
        customer=bank.customers["li"],
        before={"rm": "E1002"},
        after={"rm": "E1001"},
    )
    return bank


def seqs(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [row["seq"] for row in response.context["page"].object_list]


def test_compliance_searches_by_client_and_staff(trail, login):
    client = login(trail.user("compliance"))
    assert seqs(client.get("/audit/access/")) == [3, 2, 1]
    assert seqs(client.get("/audit/access/?customer_no=6200000001")) == [3, 1]
    assert seqs(client.get("/audit/access/?staff=E1005")) == [2]
    business = client.get("/audit/business/?customer_no=6200000002").context["page"].object_list
    assert [(r["verb"], r["before"], r["after"]) for r in business] == [
        ("rm_reassigned", {"rm": "E1002"}, {"rm": "E1001"})
    ]


def test_date_range_is_checked(trail, login):
    response = login(trail.user("compliance")).get("/audit/access/?date_from=2026-12-02&date_to=2026-12-01")
    assert response.context["page"].object_list == []
    assert (
        "start date is after the end date" in response.content.decode()
        or "开始日期" in response.content.decode()
    )


@pytest.mark.parametrize("persona", ["rm_hd", "head_office", "risk", "admin", "head_bj"])
def test_only_compliance_sees_the_trail(trail, login, persona):
    client = login(trail.user(persona))
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/access/export/?format=csv").status_code == 403
    assert AccessEvent.objects.count() == 3


def test_unknown_stream_is_404(trail, login):
    assert login(trail.user("compliance")).get("/audit/passwords/").status_code == 404


def test_export_is_watermarked_and_itself_recorded(trail, login):
    response = login(trail.user("compliance")).get("/audit/access/export/?format=csv&staff=E1001")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "E1009" in rows[0][0]
    assert rows[1] == [
        "链上序号",
        "时间",
        "操作人",
        "操作",
        "客户号",
        "解除脱敏字段",
        "原因",
        "详情",
        "IP地址",
    ]
    assert [(r[0], r[3], r[5], r[6]) for r in rows[2:]] == [
        ("3", "解除字段脱敏", "手机号码", "回访"),
        ("1", "查看客户", "", ""),
    ]
    last = AccessEvent.objects.order_by("-seq").first()
    assert (last.seq, last.actor_name, last.action, last.detail) == (
        4,
        "E1009",
        "export_list",
        "audit access csv rows=2",
    )
