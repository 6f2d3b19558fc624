"""`/jobs/`: the background jobs a user may see (their own; all for administrators and head office),
with live progress (htmx polls the rows while a job is queued or running), and one job's page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from keyclient.audit.actors import StaffRequest
from keyclient.jobs.models import JobStatus
from keyclient.jobs.services import access_run, may_retry, reap, retry_job, visible_runs

LIST_SIZE = 100
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


@require_GET
def job_list(request: StaffRequest) -> HttpResponse:
    reap()
    runs = list(visible_runs(request.user)[:LIST_SIZE])
    context = {"runs": runs, "polling": any(r.status in ACTIVE for r in runs)}
    if request.htmx:
        return render(request, "jobs/_rows.html", context)
    return render(request, "jobs/list.html", context)


@require_GET
def job_detail(request: StaffRequest, job: int) -> HttpResponse:
    reap()
    run = access_run(request.user, job)
    context = {"run": run, "polling": run.status in ACTIVE, "may_retry": may_retry(request.user, run)}
    if request.htmx:
        return render(request, "jobs/_detail_body.html", context)
    return render(request, "jobs/detail.html", context)


@require_POST
def job_retry(request: StaffRequest, job: int) -> HttpResponse:
    run = access_run(request.user, job)
    again = retry_job(actor=request.user, run=run)  # PermissionDenied → 403
    messages.success(
        request, _("Job %(new)s queued: a retry of job %(old)s.") % {"new": again.pk, "old": run.pk}
    )
    return redirect("jobs:detail", job=again.pk)
