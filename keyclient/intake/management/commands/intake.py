"""`keyclient intake load DIR --date YYYY-MM-DD [--mapping FILE]`: validate and land one date's extracts;
`keyclient intake check DIR [--mapping FILE] [--date YYYY-MM-DD]`: the same as a dry run that lands nothing
and reports every problem (exit status 1 when there is any)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keyclient.intake.check import CheckReport, check_extracts
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

        check = sub.add_parser(
            "check", help="dry-run a load with a mapping: report every problem, land nothing"
        )
        check.add_argument("source", type=Path)
        check.add_argument("--mapping", type=Path, help="TOML or YAML mapping of the bank's layout")
        check.add_argument(
            "--date", type=date.fromisoformat, help="the business date (default: any date is accepted)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "check":
            report = check_extracts(
                source=options["source"], mapping_path=options["mapping"], load_date=options["date"]
            )
            self._report(report)
            if not report.clean:
                raise CommandError(
                    f"check found {len(report.problems)} problem(s) and "
                    f"{sum(c['rejected'] for c in report.counts.values()):,} rejected line(s)",
                    returncode=1,
                )
            return
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

    def _report(self, report: CheckReport) -> None:
        out = self.stdout.write
        out(f"Problems ({len(report.problems)}):" if report.problems else "Problems: none")
        for problem in report.problems:
            out(f"  - {problem}")
        for name, c in report.counts.items():
            out(f"  {name:<16}{c['read']:>12,} read {c['accepted']:>12,} ok {c['rejected']:>8,} rejected")
        if report.unmapped_codes:
            out("Codes without a mapping (add them to the field's code map):")
            for row in report.unmapped_codes:
                out(f"  {row['extract']}.{row['field']}: {row['reason']} × {row['count']:,}")
        if report.reasons:
            out("Reject reasons:")
            for row in report.reasons:
                out(
                    f"  {row['extract']}.{row['field']}: {row['reason']} × {row['count']:,} (first {row['first']})"
                )
        if report.samples:
            out("Sample rejected lines:")
            for file, line, name, reason in report.samples:
                out(f"  {file}:{line} {name}: {reason}")
