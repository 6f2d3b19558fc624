"""Starting an intake from `/jobs/`: administrators and head office pick a business date whose
extracts folder is in the inbox (never a path); the job is queued and audited; everyone else gets 403
and nothing is written. A finished intake job's page leads to that load's rejected lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from keyclient.audit.models import BusinessEvent
from keyclient.intake.models import IntakeJob
from keyclient.jobs.models import JobRun, JobStatus
from keyclient.jobs.runner import execute
from keyclient.jobs.tests.inbox import BAD_LINE, BAD_REASON, TRANSACTIONS, write_inbox


@pytest.fixture
def inbox(bank, settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_INBOX_DIR = tmp_path / "inbox"
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    return write_inbox(tmp_path / "inbox")


def options(body: str) -> list[tuple[str, str]]:
    select = re.search(r'<select name="day"[^>]*>(.*?)</select>', body, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


@pytest.mark.parametrize("persona", ["admin", "head_office"])
def test_the_form_offers_only_the_dates_whose_folder_is_in_the_inbox(inbox, login, bank, persona) -> None:  # type: ignore[no-untyped-def]
    body = login(bank.user(persona)).get("/jobs/").content.decode()
    assert 'data-testid="intake-start"' in body
    assert "接入数据文件" in body and "业务日期（数据文件目录）" in body
    assert options(body) == [("2026-10-31", "2026-10-31/"), ("2026-10-30", "2026-10-30/")]


@pytest.mark.parametrize("persona", ["rm_hd", "lead_hd", "compliance"])
def test_other_roles_get_no_form_and_403_and_nothing_is_written(inbox, login, bank, persona) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user(persona))
    assert 'data-testid="intake-start"' not in client.get("/jobs/").content.decode()
    assert client.get("/jobs/intake/").status_code == 403
    assert client.post("/jobs/intake/", {"day": "2026-10-31"}).status_code == 403
    assert JobRun.objects.count() == 0
    assert not BusinessEvent.objects.filter(verb__startswith="job.").exists()


def test_an_administrator_starts_the_intake_of_a_date_audited(inbox, login, bank) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user("admin"))
    response = client.post("/jobs/intake/", {"day": "2026-10-31"})
    run = JobRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{run.pk}/"
    assert (run.kind, run.parameters, run.actor_id, run.status) == (
        "intake.load", {"source": str(inbox), "date": "2026-10-31"}, bank.user("admin").pk, JobStatus.QUEUED
    )  # fmt: skip
    event = BusinessEvent.objects.get(verb="job.started")
    assert (event.actor_name, event.after) == (
        bank.user("admin").username,
        {"job": run.pk, "kind": "intake.load", "parameters": {"source": str(inbox), "date": "2026-10-31"}},
    )


@pytest.mark.parametrize(
    "day",
    ["2026-11-01", "2026-13-01", "2026-10-29", "", "../2026-10-31", "/etc", "2026-10-31/../..", "20261031"],
)
def test_a_date_without_a_folder_or_a_path_is_refused_and_nothing_is_written(inbox, login, bank, day) -> None:  # type: ignore[no-untyped-def]
    response = login(bank.user("admin")).post("/jobs/intake/", {"day": day})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="errorlist"' in body
    assert ("收件目录中没有该日期的数据文件目录。" in body) is bool(day)  # an empty one: "required"
    assert JobRun.objects.count() == 0
    assert not BusinessEvent.objects.filter(verb__startswith="job.").exists()


def test_a_finished_intake_job_leads_to_its_rejected_lines(inbox, login, bank) -> None:  # type: ignore[no-untyped-def]
    client = login(bank.user("admin"))
    client.post("/jobs/intake/", {"day": "2026-10-31"})
    run = JobRun.objects.get()
    assert 'data-testid="job-rejects"' not in client.get(f"/jobs/{run.pk}/").content.decode()  # queued
    execute(run.pk)
    run.refresh_from_db()
    intake = IntakeJob.objects.get()
    assert (run.status, run.result["intake_job"], run.result["rejected"]) == (JobStatus.DONE, intake.pk, 1)
    page = client.get(f"/jobs/{run.pk}/").content.decode()
    link = re.search(r'<a href="([^"]+)" data-testid="job-rejects">', page)
    assert link is not None and link.group(1) == f"/intake/{intake.pk}/rejects/"
    assert "本次接入的拒绝记录（1 行）" in page
    rejects = client.get(link.group(1)).content.decode()
    rows = re.findall(r'<tr data-testid="reject-line">(.*?)</tr>', rejects, re.S)
    cells = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows
    ]
    assert cells == [["transactions.csv", str(BAD_LINE), "amount", BAD_REASON]]
    assert (
        "2026-10-31 数据接入的拒绝记录" in rejects
        and "成功：读取 158 行，接受 157 行，拒绝 1 行。" in rejects
    )
    assert (intake.rows_read, intake.rows_rejected) == (2 + 2 + 2 + 2 + TRANSACTIONS, 1)
    assert client.get("/intake/999999/rejects/").status_code == 404
    # Only the roles that may see intake open the rejects.
    assert login(bank.user("rm_hd")).get(link.group(1)).status_code == 403


def test_a_load_failed_over_the_reject_threshold_leads_to_its_rejects_too(
    bank, settings, tmp_path, login
) -> None:  # type: ignore[no-untyped-def]
    settings.KEYCLIENT_INBOX_DIR = tmp_path / "inbox"
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    write_inbox(tmp_path / "inbox", count=80)  # 1 of 80 transactions rejected: over 1%
    client = login(bank.user("head_office"))
    client.post("/jobs/intake/", {"day": "2026-10-31"})
    run = JobRun.objects.get()
    with pytest.raises(Exception, match="over the reject threshold"):
        execute(run.pk)
    run.refresh_from_db()
    intake = IntakeJob.objects.get()
    assert (run.status, intake.status, intake.rows_rejected) == (JobStatus.FAILED, "failed", 1)
    assert (run.result["intake_job"], run.result["rejected"]) == (intake.pk, 1)
    page = client.get(f"/jobs/{run.pk}/").content.decode()
    assert f'<a href="/intake/{intake.pk}/rejects/" data-testid="job-rejects">' in page
    rejects = client.get(f"/intake/{intake.pk}/rejects/").content.decode()
    assert re.findall(
        r'<tr data-testid="reject-line"><td>([^<]*)</td><td class="num">(\d+)</td>', rejects
    ) == [("transactions.csv", str(BAD_LINE))]
    assert BAD_REASON in rejects
