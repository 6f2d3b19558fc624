"""`/jobs/`: the background jobs a user may see (their own; all for administrators and head office),
with live progress (htmx polls the rows while a job is queued or running), and one job's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyclient.audit.actors import StaffRequest
from keyclient.jobs.forms import IntakeStartForm
from keyclient.jobs.inbox import INTAKE_KIND, inbox_dates, start_intake
from keyclient.jobs.models import JobRun, JobStatus
from keyclient.jobs.services import access_run, may_retry, reap, retry_job, visible_runs
from keyclient.security.roles import may_view_intake

LIST_SIZE = 100
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED = (JobStatus.DONE, JobStatus.FAILED)


@require_GET
def job_list(request: StaffRequest) -> HttpResponse:
    reap()
    runs = list(visible_runs(request.user)[:LIST_SIZE])
    context = {"runs": runs, "polling": any(r.status in ACTIVE for r in runs)}
    if request.htmx:
        return render(request, "jobs/_rows.html", context)
    if may_view_intake(request.user):
        context["intake_form"] = IntakeStartForm(dates=inbox_dates())
    return render(request, "jobs/list.html", context)


@require_GET
def job_detail(request: StaffRequest, job: int) -> HttpResponse:
    reap()
    run = access_run(request.user, job)
    context = {
        "run": run,
        "polling": run.status in ACTIVE,
        "may_retry": may_retry(request.user, run),
        "rejects_url": _rejects_url(request, run),
    }
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


def _rejects_url(request: StaffRequest, run: JobRun) -> str:
    """A finished intake job's page leads to that load's rejects (for those who may see intake); a
    load that failed over the reject threshold too."""
    intake_job = (run.result or {}).get("intake_job") if run.kind == INTAKE_KIND else None
    if run.status not in FINISHED or not intake_job or not may_view_intake(request.user):
        return ""
    return reverse("intake:rejects", kwargs={"intake_job": intake_job})


@require_http_methods(["GET", "POST"])
def intake_start(request: StaffRequest) -> HttpResponse:
    """ "Load extracts": queue the intake of one business date whose folder is in the inbox."""
    if not may_view_intake(request.user):
        raise PermissionDenied(_("Only administrators and head office start an intake."))
    form = IntakeStartForm(request.POST or None, dates=inbox_dates())
    if request.method == "POST" and form.is_valid():
        run = start_intake(actor=request.user, day=form.cleaned_data["day"])
        messages.success(request, _("Job %(id)s queued: the intake of %(date)s.") % {
            "id": run.pk, "date": form.cleaned_data["day"].isoformat()
        })  # fmt: skip
        return redirect("jobs:detail", job=run.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "jobs/intake_start.html", {"form": form}, status=status)
