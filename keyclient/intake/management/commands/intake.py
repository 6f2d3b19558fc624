"""`keyclient intake load DIR --date YYYY-MM-DD [--mapping FILE]`: validate and land one date's extracts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keyclient.intake.mapping import MappingError
from keyclient.intake.services import DEFAULT_MAX_REJECT_RATE, load_extracts
from keyclient.intake.validate import IntakeError


class Command(BaseCommand):
    help = "Validate core-banking extracts, land them in the lake and write what they carry into the CRM."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        load = sub.add_parser("load", help="load one business date's extracts from a directory")
        load.add_argument("source", type=Path)
        load.add_argument("--date", type=date.fromisoformat, required=True, help="the business date")
        load.add_argument("--mapping", type=Path, help="TOML or YAML mapping of the bank's layout")
        load.add_argument(
            "--history",
            action="store_true",
            help="initial load: dated extracts may hold every date up to --date (landed per date)",
        )
        load.add_argument(
            "--max-reject-rate",
            type=float,
            default=DEFAULT_MAX_REJECT_RATE,
            help="fail the whole load when an extract rejects more than this share (default 0.01)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            job = load_extracts(
                source=options["source"],
                load_date=options["date"],
                mapping_path=options["mapping"],
                history=options["history"],
                max_reject_rate=options["max_reject_rate"],
                progress=True,
            )
        except (IntakeError, MappingError) as exc:
            raise CommandError(f"intake failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Intake job {job.pk} for {job.load_date}: {job.status}"))
        for name, c in job.counts.items():
            if isinstance(c, dict):
                self.stdout.write(
                    f"  {name:<16}{c['read']:>12,} read {c['accepted']:>12,} ok {c['rejected']:>8,} rejected"
                )
        written = {name: c for name, c in job.counts.items() if isinstance(c, int)}
        self.stdout.write("  CRM: " + " · ".join(f"{name} {c:,}" for name, c in written.items()))
        if job.rows_rejected:
            self.stdout.write(f"  rejects: {job.reject_file}")
