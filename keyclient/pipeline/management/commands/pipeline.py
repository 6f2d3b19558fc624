"""`keyclient pipeline run --date D`, `keyclient pipeline backfill --from D1 --to D2` and
`keyclient pipeline prune [--keep-days N] [--dry-run]`."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keyclient.pipeline.definitions import horizon_days
from keyclient.pipeline.engine import PipelineError
from keyclient.pipeline.retention import RetentionError, prune
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
        cut = sub.add_parser("prune", help="delete daily rows older than the retention (month ends stay)")
        cut.add_argument("--keep-days", type=int, help="default: settings.KEYCLIENT_DAILY_RETENTION_DAYS")
        cut.add_argument("--dry-run", action="store_true", help="count what would go, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            if options["verb"] == "run":
                counts = run_date(options["date"], engine_name=options["engine"])
                self.stdout.write(self.style.SUCCESS(f"Pipeline {options['date']}: {counts}"))
                if counts.get("balance_gap_days"):
                    self.stdout.write(self.style.WARNING(
                        f"  {counts['balance_gap_days']} date(s) of the month landed no daily balances: "
                        "each read as the date before (dates in the pipeline.run event)"
                    ))  # fmt: skip
                if counts.get("stale_balance_clients"):
                    self.stdout.write(self.style.WARNING(
                        f"  {counts['stale_balance_clients']} client(s) with a balance snapshot older than "
                        f"{horizon_days()} days, carried forward (clients in the pipeline.run event)"
                    ))  # fmt: skip
            elif options["verb"] == "prune":
                pruned = prune(keep_days=options["keep_days"], dry_run=options["dry_run"], progress=True)
                verb = "would delete" if options["dry_run"] else "deleted"
                self.stdout.write(
                    self.style.SUCCESS(
                        "Pipeline prune: no daily rows written yet, nothing to prune"
                        if pruned.before is None
                        else f"Pipeline prune (rows before {pruned.before}, month ends kept): {verb} "
                        f"{pruned.daily_rows} daily rows and {pruned.bank_outflow_rows} transfer rows "
                        f"of {len(pruned.dates)} dates"
                    )
                )
            else:
                days = backfill(
                    options["first"],
                    options["last"],
                    engine_name=options["engine"],
                    month_ends=options["month_ends"],
                    progress=True,
                )
                self.stdout.write(self.style.SUCCESS(f"Pipeline backfill: {len(days)} dates"))
        except (PipelineError, RetentionError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"  {time.monotonic() - started:.1f} s")
