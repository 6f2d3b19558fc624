"""`keyclient pipeline run --date D` and `keyclient pipeline backfill --from D1 --to D2`."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keyclient.pipeline.engine import PipelineError
from keyclient.pipeline.services import ENGINES, backfill, run_date


class Command(BaseCommand):
    help = "Compute the per-client indicators for a business date (or a range) and write them to the CRM."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        run = sub.add_parser("run", help="compute one business date")
        run.add_argument("--date", type=date.fromisoformat, required=True)
        run.add_argument("--engine", choices=ENGINES, default="duckdb")
        fill = sub.add_parser("backfill", help="compute every date of a range, in order")
        fill.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
        fill.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
        fill.add_argument("--engine", choices=ENGINES, default="duckdb")
        fill.add_argument("--month-ends", action="store_true", help="only the last day of each month")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            if options["verb"] == "run":
                counts = run_date(options["date"], engine_name=options["engine"])
                self.stdout.write(self.style.SUCCESS(f"Pipeline {options['date']}: {counts}"))
            else:
                days = backfill(
                    options["first"],
                    options["last"],
                    engine_name=options["engine"],
                    month_ends=options["month_ends"],
                    progress=True,
                )
                self.stdout.write(self.style.SUCCESS(f"Pipeline backfill: {len(days)} dates"))
        except PipelineError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"  {time.monotonic() - started:.1f} s")
