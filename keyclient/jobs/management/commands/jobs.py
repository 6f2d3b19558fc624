"""`keyclient jobs list | show N | retry N | start KIND [key=value …]`: the background jobs from a terminal."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from keyclient.audit.actors import Job
from keyclient.jobs.models import JobRun
from keyclient.jobs.registry import UnknownJobKind, kinds
from keyclient.jobs.services import reap, retry_job, start_job

OPERATOR = Job("operator")  # the person at the terminal


def _parameter(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise CommandError(f"parameters are key=value, got {text!r}")
    try:
        return key, json.loads(value)  # numbers, true/false, null, quoted strings
    except json.JSONDecodeError:
        return key, value


class Command(BaseCommand):
    help = "List, show, retry or start background jobs (a worker runs them: `keyclient worker`)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        listing = sub.add_parser("list", help="the latest jobs (a dead worker's jobs show as failed)")
        listing.add_argument("--limit", type=int, default=30)
        listing.add_argument("--status", choices=["queued", "running", "done", "failed"])
        show = sub.add_parser("show", help="one job: parameters, progress, log tail, error")
        show.add_argument("id", type=int)
        show.add_argument("--json", action="store_true", help="print the record as JSON")
        retry = sub.add_parser("retry", help="queue a failed job again with the same parameters")
        retry.add_argument("id", type=int)
        start = sub.add_parser("start", help=f"queue a job: one of {', '.join(kinds())}")
        start.add_argument("kind")
        start.add_argument("parameters", nargs="*", help="key=value (values are JSON when they parse)")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "list":
            for run in reap():
                self.stderr.write(f"job {run.pk} ({run.kind}): {run.error}")
            runs = JobRun.objects.all()
            if options["status"]:
                runs = runs.filter(status=options["status"])
            self.stdout.write(f"{'id':>6}  {'kind':<20} {'status':<8} {'progress':<16} {'actor':<20} queued")
            for run in runs[: options["limit"]]:
                progress = f"{run.progress_done}/{run.progress_total or '?'}"
                self.stdout.write(
                    f"{run.pk:>6}  {run.kind:<20} {run.status:<8} {progress:<16} {run.actor_name:<20} "
                    f"{run.enqueued_at:%Y-%m-%d %H:%M:%S}"
                )
            return
        if verb == "start":
            try:
                run = start_job(
                    actor=OPERATOR,
                    kind=options["kind"],
                    parameters=dict(map(_parameter, options["parameters"])),
                )
            except (UnknownJobKind, ValidationError) as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.SUCCESS(f"job {run.pk} queued: {run.kind} {run.parameters}"))
            return
        reap()  # a dead worker's job shows (and retries) as failed
        try:
            run = JobRun.objects.get(pk=options["id"])
        except JobRun.DoesNotExist:
            raise CommandError(f"no job {options['id']}") from None
        if verb == "retry":
            try:
                again = retry_job(actor=OPERATOR, run=run)
            except PermissionDenied as exc:
                raise CommandError(f"job {run.pk} is {run.status}: {exc}") from exc
            self.stdout.write(
                self.style.SUCCESS(f"job {again.pk} queued: a retry of job {run.pk} ({run.kind})")
            )
            return
        record = {
            "id": run.pk, "kind": run.kind, "status": run.status, "parameters": run.parameters,
            "actor": run.actor_name, "retry_of": run.retry_of_id, "worker": run.worker,
            "progress_done": run.progress_done, "progress_total": run.progress_total, "step": run.step,
            "enqueued_at": run.enqueued_at.isoformat(),
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "heartbeat_at": run.heartbeat_at.isoformat() if run.heartbeat_at else None,
            "result": run.result, "error": run.error, "log_tail": run.log_tail,
        }  # fmt: skip
        if options["json"]:
            self.stdout.write(json.dumps(record, ensure_ascii=False))
            return
        for key, value in record.items():
            if key not in ("log_tail", "error"):
                self.stdout.write(f"{key:>13}: {value}")
        if run.error:
            self.stdout.write("error:\n" + run.error)
        if run.log_tail:
            self.stdout.write("log tail:\n" + run.log_tail)
