"""The intake job page as a reader sees it: grouped counts, the job named in words, an empty reject
summary said plainly; the menu leads there for the roles that may open it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from keyclient.intake.models import IntakeJob


@pytest.fixture
def jobs(bank):  # type: ignore[no-untyped-def]
    now = timezone.now()
    IntakeJob.objects.create(
        load_date=dt.date(2026, 10, 31), source="extracts", status="succeeded", actor_name="job:intake",
        rows_read=20_000, rows_accepted=20_000, rows_rejected=0, started_at=now, finished_at=now,
    )  # fmt: skip
    IntakeJob.objects.create(
        load_date=dt.date(2026, 10, 30), source="extracts", status="failed", actor_name="E1010",
        rows_read=120_000, rows_accepted=107_655, rows_rejected=12_345, started_at=now - dt.timedelta(days=1),
        finished_at=now, reject_summary=[{"extract": "customers", "field": "birth_date", "reason": "not a date",
                                          "count": 12_345}],
    )  # fmt: skip
    return bank


def cells(body: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", body[body.index("<tbody>") :], re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows
    ]


def test_counts_are_grouped_and_the_job_and_empty_summary_read_as_words(jobs, login) -> None:  # type: ignore[no-untyped-def]
    body = login(jobs.user("admin")).get("/intake/").content.decode()
    rows = cells(body)
    assert [[r[i] for i in (1, 2, 3, 4, 7, 8)] for r in rows] == [
        ["成功", "20,000", "20,000", "0", "系统作业：核心系统数据接入", "无拒绝记录"],
        ["失败", "120,000", "107,655", "12,345", "E1010", "customers.birth_date: not a date ×12,345"],
    ]


@pytest.mark.parametrize(("persona", "in_menu"), [("admin", True), ("head_office", True), ("rm_hd", False),
                                                  ("compliance", False)])  # fmt: skip
def test_the_menu_leads_to_the_page_for_the_roles_that_may_open_it(jobs, login, persona, in_menu) -> None:  # type: ignore[no-untyped-def]
    client = login(jobs.user(persona))
    home = client.get("/clients/").content.decode()
    nav = home[home.index('<nav class="mainnav">') : home.index("</nav>")]
    assert ('href="/intake/"' in nav) is in_menu
    assert client.get("/intake/").status_code == (200 if in_menu else 403)
