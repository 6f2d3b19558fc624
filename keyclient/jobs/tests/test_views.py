"""`/jobs/`: staff see their own jobs, administrators and head office all; another's job is 404;
the owner (or an administrator) retries a failed job, audited; nobody else can."""

from __future__ import annotations

import pytest
from django.utils import timezone

from keyclient.audit.actors import Job
from keyclient.audit.models import BusinessEvent
from keyclient.jobs.models import JobRun, JobStatus
from keyclient.jobs.runner import worker_label
from keyclient.jobs.services import start_job


@pytest.fixture
def runs(bank):  # type: ignore[no-untyped-def]
    own = start_job(actor=bank.user("rm_hd"), kind="jobs.probe", parameters={"steps": 2})
    other = start_job(actor=bank.user("rm_pd"), kind="jobs.probe", parameters={"steps": 5})
    nightly = start_job(actor=Job("nightly"), kind="jobs.probe", parameters={"steps": 7})
    JobRun.objects.filter(pk=own.pk).update(status=JobStatus.FAILED, error="RuntimeError: boom")
    # Running in this process (alive, beating): the reaper that /jobs/ runs leaves it.
    JobRun.objects.filter(pk=other.pk).update(
        status=JobStatus.RUNNING, progress_done=2, progress_total=5, step="step 3 of 5",
        worker=worker_label(), heartbeat_at=timezone.now(),
    )  # fmt: skip
    return {"own": own, "other": other, "nightly": nightly}


def listed(response) -> set[int]:  # type: ignore[no-untyped-def]
    import re

    return {int(n) for n in re.findall(r'data-testid="job-(\d+)"', response.content.decode())}


def test_staff_see_their_own_jobs_only(bank, login, runs) -> None:
    client = login(bank.user("rm_hd"))
    response = client.get("/jobs/")
    assert response.status_code == 200
    assert listed(response) == {runs["own"].pk}
    assert client.get(f"/jobs/{runs['own'].pk}/").status_code == 200
    for key in ("other", "nightly"):
        assert client.get(f"/jobs/{runs[key].pk}/").status_code == 404
    assert client.get("/jobs/999999/").status_code == 404


@pytest.mark.parametrize("persona", ["admin", "head_office"])
def test_administrators_and_head_office_see_every_job(bank, login, runs, persona) -> None:
    client = login(bank.user(persona))
    assert listed(client.get("/jobs/")) == {r.pk for r in runs.values()}
    page = client.get(f"/jobs/{runs['other'].pk}/").content.decode()
    assert 'value="40"' in page and "2/5" in page and "step 3 of 5" in page
    assert 'hx-trigger="every 2s"' in page  # a running job's page polls


def test_the_list_polls_only_while_a_job_is_active_and_answers_htmx_with_rows(bank, login, runs) -> None:
    client = login(bank.user("admin"))
    rows = client.get("/jobs/", headers={"HX-Request": "true"}).content.decode()
    assert rows.startswith('<tbody id="job-rows"') and 'hx-trigger="every 2s"' in rows
    JobRun.objects.update(status=JobStatus.DONE)
    assert "hx-trigger" not in client.get("/jobs/").content.decode()


def test_the_owner_retries_a_failed_job_audited(bank, login, runs) -> None:
    client = login(bank.user("rm_hd"))
    page = client.get(f"/jobs/{runs['own'].pk}/").content.decode()
    assert 'data-testid="job-retry"' in page and "RuntimeError: boom" in page
    response = client.post(f"/jobs/{runs['own'].pk}/retry/")
    again = JobRun.objects.get(retry_of=runs["own"])
    assert response.status_code == 302 and response["Location"] == f"/jobs/{again.pk}/"
    assert (again.kind, again.parameters, again.actor_id, again.status) == (
        "jobs.probe", {"steps": 2}, bank.user("rm_hd").pk, "queued"
    )  # fmt: skip
    event = BusinessEvent.objects.get(verb="job.retried")
    assert (event.actor_name, event.after["retry_of"]) == ("E1001", runs["own"].pk)


def test_nobody_else_retries_and_nothing_is_queued(bank, login, runs) -> None:
    before = JobRun.objects.count()
    # Another RM: the job does not exist for them.
    assert login(bank.user("rm_pd")).post(f"/jobs/{runs['own'].pk}/retry/").status_code == 404
    # The owner of a running job: no retry (403), and no button.
    client = login(bank.user("rm_pd"))
    assert 'data-testid="job-retry"' not in client.get(f"/jobs/{runs['other'].pk}/").content.decode()
    assert client.post(f"/jobs/{runs['other'].pk}/retry/").status_code == 403
    assert client.get(f"/jobs/{runs['own'].pk}/retry/").status_code == 405
    assert JobRun.objects.count() == before
    assert not BusinessEvent.objects.filter(verb="job.retried").exists()


def test_an_administrator_retries_anyones_failed_job(bank, login, runs) -> None:
    response = login(bank.user("admin")).post(f"/jobs/{runs['own'].pk}/retry/")
    assert response.status_code == 302
    again = JobRun.objects.get(retry_of=runs["own"])
    assert (again.actor_id, again.parameters) == (bank.user("admin").pk, {"steps": 2})
