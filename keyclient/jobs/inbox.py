"""Starting an intake from the UI: the business dates whose extracts folder arrived in the inbox
(`<KEYCLIENT_INBOX_DIR>/<date>/`, as the nightly chain reads it), and `start_intake`, which queues an
`intake.load` job of one of them. The browser picks a date, never a filesystem path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from keyclient.audit.actors import Viewer
from keyclient.jobs.models import JobRun
from keyclient.jobs.nightly import inbox_for
from keyclient.jobs.services import start_job
from keyclient.security.roles import may_view_intake

INTAKE_KIND = "intake.load"


def inbox_dates() -> list[date]:
    """The dates with an extracts folder in the inbox, newest first (none when no inbox is set)."""
    inbox = settings.KEYCLIENT_INBOX_DIR
    if not inbox or not Path(inbox).is_dir():
        return []
    days = []
    for entry in Path(inbox).iterdir():
        try:
            day = date.fromisoformat(entry.name)
        except ValueError:
            continue
        if entry.is_dir() and entry.name == day.isoformat():
            days.append(day)
    return sorted(days, reverse=True)


def start_intake(*, actor: Viewer, day: date) -> JobRun:
    """Queue the load of `day`'s extracts from the inbox (administrators and head office)."""
    if not may_view_intake(actor):
        raise PermissionDenied("only administrators and head office start an intake")
    if day not in inbox_dates():
        raise ValidationError(f"no extracts folder for {day.isoformat()} in the inbox")
    return start_job(
        actor=actor, kind=INTAKE_KIND, parameters={"source": str(inbox_for(day)), "date": day.isoformat()}
    )
