"""The intake job list: administrators and head office see how the nightly loads went, and the
rejected lines of each load."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from keyclient.intake.models import IntakeJob
from keyclient.intake.rejects import SHOWN, reject_lines
from keyclient.security.roles import may_view_intake


def _check(request: HttpRequest) -> None:
    if not may_view_intake(request.user):
        raise PermissionDenied(_("Only administrators and head office see the intake jobs."))


@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    _check(request)
    jobs = IntakeJob.objects.all()[:100]
    return render(request, "intake/jobs.html", {"jobs": jobs})


@require_GET
def job_rejects(request: HttpRequest, intake_job: int) -> HttpResponse:
    _check(request)
    job = get_object_or_404(IntakeJob, pk=intake_job)
    lines = reject_lines(job)
    return render(request, "intake/rejects.html", {"job": job, "lines": lines, "shown": SHOWN})
