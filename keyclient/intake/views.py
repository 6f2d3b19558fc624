"""The intake job list: administrators and head office see how the nightly loads went."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from keyclient.intake.models import IntakeJob
from keyclient.security.roles import may_view_intake


@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    if not may_view_intake(request.user):
        raise PermissionDenied(_("Only administrators and head office see the intake jobs."))
    jobs = IntakeJob.objects.all()[:100]
    return render(request, "intake/jobs.html", {"jobs": jobs})
