"""`keyclient worker [--batch]`: run the queued jobs (django-tasks-db's `db_worker`, plus the reaper).

The reaper fails the jobs of a dead worker (see `keyclient.jobs.services.reap`): once at start, then
every `--reap-every` seconds from a thread with its own database connection."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connections

from keyclient.jobs.services import reap


class _Reaper(threading.Thread):
    def __init__(self, every: float) -> None:
        super().__init__(name="jobs-reaper", daemon=True)
        self.every, self.stopping = every, threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.wait(self.every):
                with contextlib.suppress(DatabaseError):  # busy database: the next round tries again
                    reap()
        finally:
            connections.close_all()


class Command(BaseCommand):
    help = "Run background jobs as they are queued (`--batch`: run what is queued, then exit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="run the queued jobs, then exit")
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls when idle")
        parser.add_argument("--reap-every", type=float, default=30.0, help="seconds between reaper runs")
        parser.add_argument("--max-tasks", type=int, help="exit after this many jobs")
        parser.add_argument("--worker-id", help="unique per worker (default: generated)")

    def handle(self, *args: Any, **options: Any) -> None:
        for run in reap():
            self.stderr.write(f"job {run.pk} ({run.kind}) failed: {run.error}")
        reaper = _Reaper(options["reap_every"])
        reaper.start()
        extra = {"worker_id": options["worker_id"]} if options["worker_id"] else {}
        if options["max_tasks"]:
            extra["max_tasks"] = options["max_tasks"]
        try:
            call_command(
                "db_worker",
                batch=options["batch"],
                interval=options["interval"],
                startup_delay=False,
                reload=False,
                verbosity=options["verbosity"],
                stdout=self.stdout._out,
                **extra,
            )
        finally:
            reaper.stopping.set()
