"""The audit trail reads as words: column labels, action and event labels, actors, decoded details,
record types and field names; every event verb and job name the code records has a declared label."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from keyclient.audit.actors import Job
from keyclient.audit.choices import EventVerb, JobName
from keyclient.audit.display import readable_access_detail, readable_details
from keyclient.audit.models import AccessEvent, BusinessEvent, FieldChange
from keyclient.audit.services import record_access, record_changes, record_event
from keyclient.customers.models import ContactPoint

PACKAGE = Path(__file__).resolve().parents[2]


def table(response) -> tuple[list[str], list[list[str]]]:  # type: ignore[no-untyped-def]
    """The audit table's headers and cells as the page shows them."""
    html = response.content.decode()
    body = html[html.index('data-testid="audit-table"') :]
    heads = re.findall(r"<th>(.*?)</th>", body[: body.index("</thead>")])
    rows = [
        re.findall(r"<td[^>]*>(.*?)</td>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", body[body.index("<tbody>") :])
    ]
    return heads, rows


def test_the_access_stream_shows_labels_and_decoded_details(bank, login):
    zhang = bank.customers["zhang"]
    record_access(actor=bank.user("rm_hd"), action="view_client", customer=zhang)
    record_access(
        actor=bank.user("rm_hd"), action="unmask_field", customer=zhang, fields=["mobile"], reason="回访"
    )
    record_access(actor=Job("intake"), action="export_list", detail="clients csv rows=1 q=%E7%8E%8B")
    heads, rows = table(login(bank.user("compliance")).get("/audit/access/"))
    assert heads == ["链上序号", "时间", "操作人", "操作", "客户号", "解除脱敏字段", "原因", "详情", "IP地址"]
    assert [[r[i] for i in (0, 2, 3, 4, 5, 6, 7)] for r in rows] == [
        ["3", "系统作业：核心系统数据接入", "导出列表", "", "", "", "clients csv rows=1 q=王"],
        ["2", "E1001", "解除字段脱敏", "6200000001", "手机号码", "回访", ""],
        ["1", "E1001", "查看客户", "6200000001", "", "", ""],
    ]
    assert AccessEvent.objects.get(seq=3).detail == "clients csv rows=1 q=%E7%8E%8B"  # stored as written


def test_a_personal_number_in_a_decoded_detail_stays_masked():
    assert readable_access_detail("q=13800001234") == "q=138****1234"
    assert readable_access_detail("q=110108198001011235") == "q=110108********1235"


def test_the_business_stream_shows_event_labels_and_readable_details(bank, login):
    record_event(actor=bank.user("head_office"), verb="tier.changed", customer=bank.customers["li"],
                 before={"tier": "gold"}, after={"tier": "private_banking", "state": "active", "as_of": "2026-01-31"})  # fmt: skip
    record_event(actor=Job("valuation"), verb="valuation.run", after={"policy": 1, "value_scores": 20000})
    heads, rows = table(login(bank.user("compliance")).get("/audit/business/"))
    assert heads[2:] == ["操作人", "事件", "客户号", "变更前", "变更后", "备注"]
    assert [r[2:7] for r in rows] == [
        ["系统作业：月末价值评估", "月末价值评估运行", "", "", "政策版本: 1; 客户价值分: 20,000"],
        [
            "E1007",
            "等级变更",
            "6200000002",
            "客户等级: 金卡",
            "月末: 2026-01-31; 状态: 达标; 客户等级: 私人银行",
        ],
    ]
    assert BusinessEvent.objects.filter(verb="tier.changed").count() == 1


def test_the_change_stream_names_record_types_fields_and_choices(bank, login):
    zhang = bank.customers["zhang"]
    contact = ContactPoint.objects.create(customer=zhang, kind="mobile", value="13800001234")
    record_changes(actor=bank.user("rm_hd"), instance=contact, customer_id=zhang.pk,
                   changes={"kind": ("phone", "mobile")})  # fmt: skip
    heads, rows = table(login(bank.user("compliance")).get("/audit/changes/"))
    assert heads[2:] == ["操作人", "记录类型", "记录ID", "字段", "原值", "新值"]
    assert [r[2:] for r in rows] == [["E1001", "联系方式", str(contact.pk), "类型", "固定电话", "手机"]]
    assert FieldChange.objects.get().old == "phone"


def test_readable_details_of_unknown_and_nested_values():
    assert readable_details({}) == ""
    with translation.override("zh-hans"):  # not whatever language an earlier test left active
        details = readable_details({"rules": {"a": 1, "b": 2}, "demo": True, "note": None})
    assert details == "演示: 是; 备注: —; 规则: 2 项"


def test_every_recorded_verb_and_job_name_has_a_label():
    source = "\n".join(
        p.read_text(encoding="utf-8")
        for p in PACKAGE.rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts
    )
    verbs = set(re.findall(r'verb="([\w.]+)"', source)) | {
        f"tier_override.{v}" for v in ("approved", "rejected")
    }
    jobs = set(re.findall(r'Job\("([\w.]+)"\)', source))
    assert verbs - set(EventVerb.values) == set()
    assert jobs - set(JobName.values) == set()
