"""An administrator starts an intake from `/jobs/` in a real browser: picks the business date whose
extracts folder is in the inbox, lands on the job's page, which polls while a worker runs the job
and shows it done with its progress; from there the load's rejects, with the rejected line's reason."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def inbox(bank, settings, tmp_path):  # type: ignore[no-untyped-def]
    """A small inbox (one rejected transaction among 150) and a private lake: the live server runs
    in this process and sees both settings."""
    from keyclient.jobs.tests.inbox import write_inbox

    settings.KEYCLIENT_INBOX_DIR = tmp_path / "inbox"
    settings.KEYCLIENT_LAKE_DIR = tmp_path / "lake"
    settings.KEYCLIENT_JOB_HEARTBEAT_SECONDS = 0.1
    return write_inbox(tmp_path / "inbox")


def run_worker() -> None:
    """`keyclient worker --batch` in this process: it shares the live server's database (an
    in-memory SQLite, or the throwaway PostgreSQL)."""
    from django.core.management import call_command

    call_command("worker", "--batch", "--interval", "0.1", verbosity=0)


def test_an_administrator_starts_an_intake_watches_it_and_opens_its_rejects(  # type: ignore[no-untyped-def]
    inbox, page, log_in, artifacts
):
    from keyclient.intake.models import IntakeJob
    from keyclient.jobs.models import JobRun
    from keyclient.jobs.tests.inbox import BAD_LINE, BAD_REASON

    log_in("E1010")  # admin
    page.goto("/jobs/")
    form = page.locator("[data-testid=intake-start]")
    expect(form.locator("select[name=day] option")).to_have_text(["2026-10-31/", "2026-10-30/"])
    form.locator("select[name=day]").select_option("2026-10-31")
    with page.expect_navigation():
        form.locator("[data-testid=intake-submit]").click()
    run = JobRun.objects.get()
    assert (run.kind, run.parameters["date"]) == ("intake.load", "2026-10-31")
    expect(page).to_have_url(re.compile(rf"/jobs/{run.pk}/$"))
    status = page.locator("[data-testid=job-status]")
    expect(status).to_have_class(re.compile(r"\bstatus-queued\b"))
    expect(page.locator("#job-body")).to_have_attribute("hx-trigger", "every 2s")  # the page polls
    expect(page.locator("[data-testid=job-rejects]")).to_have_count(0)
    page.screenshot(path=str(artifacts / "intake-job-queued.png"), full_page=True)

    run_worker()

    # Without a reload: the polling swaps in the finished job, its progress full, and the rejects link.
    expect(status).to_have_class(re.compile(r"\bstatus-done\b"), timeout=15_000)
    body = page.locator("#job-body")
    expect(body).not_to_have_attribute("hx-trigger", "every 2s")
    run.refresh_from_db()
    assert run.progress_total and run.progress_done == run.progress_total
    expect(body.locator("progress")).to_have_attribute("value", "100")
    intake = IntakeJob.objects.get()
    link = page.locator("[data-testid=job-rejects]")
    expect(link).to_have_attribute("href", f"/intake/{intake.pk}/rejects/")
    page.screenshot(path=str(artifacts / "intake-job-done.png"), full_page=True)

    with page.expect_navigation():
        link.click()
    expect(page).to_have_url(re.compile(rf"/intake/{intake.pk}/rejects/$"))
    lines = page.locator("[data-testid=reject-line]")
    expect(lines).to_have_count(1)
    expect(lines.locator("td")).to_have_text(["transactions.csv", str(BAD_LINE), "amount", BAD_REASON])
    page.screenshot(path=str(artifacts / "intake-rejects.png"), full_page=True)
