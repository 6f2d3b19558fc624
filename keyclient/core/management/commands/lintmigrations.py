"""`keyclient lintmigrations`: fail on a migration that would block a big table on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.migrations.loader import MigrationLoader

from keyclient.core.migration_lint import BASELINE, landed_migrations, lint_project, read_baseline


class Command(BaseCommand):
    help = "Lint the migrations not in the baseline for changes that lock a big table on PostgreSQL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--baseline", type=Path, default=BASELINE, help="the grandfathered migrations")
        parser.add_argument(
            "--write-baseline", action="store_true", help="record every migration on disk as grandfathered"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        loader = MigrationLoader(None, ignore_no_migrations=True)
        baseline_path: Path = options["baseline"]
        if options["write_baseline"]:
            header = "# Migrations landed before the migration linter; they are not linted.\n"
            baseline_path.write_text(header + "\n".join(landed_migrations(loader)) + "\n", encoding="utf-8")
            self.stdout.write(f"wrote {baseline_path.name}")
            return
        problems = lint_project(loader=loader, baseline=read_baseline(baseline_path))
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} blocking migration operation(s); see docs/operations.md")
        self.stdout.write("migrations: no blocking change")
