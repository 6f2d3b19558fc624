"""`keyclient nightly --date D`: intake of D's extracts from the inbox, the pipeline for D (the month
end when D is one), prune; each step a job. Exit 1 when a step fails, naming it; run it again to resume.
`--queue` starts the chain as a `nightly.run` job for a worker instead of running it here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keyclient.jobs.models import NightlyStatus
from keyclient.jobs.nightly import NIGHTLY, run_nightly, steps_for
from keyclient.jobs.services import start_job


class Command(BaseCommand):
    help = "Run the nightly chain of one business date (intake, pipeline, prune); a re-run resumes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, type=date.fromisoformat, help="the business date")
        parser.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
        parser.add_argument("--queue", action="store_true", help="queue it as a job for a worker")

    def handle(self, *args: Any, **options: Any) -> None:
        day: date = options["date"]
        if options["queue"]:
            steps_for(day)  # an unset inbox fails here, not in the worker
            run = start_job(
                actor=NIGHTLY,
                kind="nightly.run",
                parameters={"date": day.isoformat(), "engine": options["engine"]},
            )
            self.stdout.write(f"nightly {day}: queued as job {run.pk}")
            return
        chain = run_nightly(day=day, engine=options["engine"])
        for step in chain.steps.select_related("job").order_by("id"):
            self.stdout.write(f"  {step.name}: job {step.job_id} {step.job.status}")
        if chain.status != NightlyStatus.DONE:
            raise CommandError(f"nightly {day} stopped at step {chain.failed_step}: {chain.error}")
        self.stdout.write(f"nightly {day}: done")
