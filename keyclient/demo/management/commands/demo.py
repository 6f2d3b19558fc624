"""`keyclient demo generate|org|sponsors|loaded|logins|code`: the synthetic demo bank.

The demo loads a bank the way a bank is loaded (see `make demo`): `demo generate` writes core-banking
extracts, `demo org` loads the HR reference data (org units, staff, demo logins), `intake load
--history` and `pipeline backfill` load the extracts, `demo sponsors` adds demo service teams.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

# The demo bank's shared staff password: printed with the logins, never used outside the demo.
DEMO_PASSWORD_ENV = "KEYCLIENT_DEMO_PASSWORD"  # noqa: S105
DEFAULT_DEMO_PASSWORD = "Keyclient-Demo-2026"  # noqa: S105


class Command(BaseCommand):
    help = "Generate the synthetic demo bank's extracts, load its org and staff, or print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        gen = sub.add_parser("generate", help="write core-banking style extracts for a synthetic bank")
        gen.add_argument("--customers", type=int, default=20_000)
        gen.add_argument("--seed", type=int, default=7)
        gen.add_argument("--out", type=Path, required=True)
        gen.add_argument("--format", choices=["parquet", "csv"], default="parquet")
        gen.add_argument("--months", type=int, default=12)
        gen.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 10, 31))
        org = sub.add_parser("org", help="load the generated org units and staff; enrol the demo logins")
        org.add_argument("source", type=Path)
        sub.add_parser("sponsors", help="give private-banking clients their RM's team lead as senior sponsor")
        loaded = sub.add_parser(
            "loaded", help="exit 0 when the CRM database holds clients, 1 when it holds none"
        )
        loaded.add_argument("-q", "--quiet", action="store_true")
        logins = sub.add_parser(
            "logins", help="print the demo logins, one per role (--all: every staff member)"
        )
        logins.add_argument(
            "--all", action="store_true", help="every staff member: a second RM, another team, another branch"
        )
        code = sub.add_parser("code", help="print the current two-factor code of a demo login")
        code.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"do_{options['verb']}")(**options)

    def do_generate(self, **options: Any) -> None:
        from keyclient.demo.generator import generate

        def progress(stage: str, done: int, total: int) -> None:
            self.stderr.write(f"  {stage}: {done}/{total}", ending="\r" if done < total else "\n")

        summary = generate(
            options["out"],
            customers=options["customers"],
            seed=options["seed"],
            fmt=options["format"],
            months=options["months"],
            as_of=options["as_of"],
            progress=progress,
        )
        rows = summary.get("rows", {})
        self.stdout.write(
            self.style.SUCCESS(f"Generated {options['customers']:,} clients into {options['out']}")
        )
        for name, count in rows.items():
            self.stdout.write(f"  {name:<24}{count:>14,}")

    def do_org(self, **options: Any) -> None:
        from keyclient.demo.org import load_org
        from keyclient.org.models import OrgUnit

        if OrgUnit.objects.exists():
            self.stdout.write("The org tree is loaded already (`make demo-reset` starts over).")
            return
        try:
            report = load_org(options["source"], password=demo_password())
        except (FileNotFoundError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Org: {report.units} units, {report.teams} teams, {report.staff} staff, "
                f"{len(report.logins)} demo logins enrolled"
            )
        )

    def do_sponsors(self, **options: Any) -> None:
        from keyclient.demo.org import assign_sponsors

        self.stdout.write(f"Senior sponsors assigned: {assign_sponsors()}")

    def do_loaded(self, **options: Any) -> None:
        from keyclient.customers.models import Customer

        count = Customer.objects.count()
        if not options["quiet"]:
            self.stdout.write(f"{count:,} clients in the CRM database")
        if not count:
            sys.exit(1)

    def do_logins(self, **options: Any) -> None:
        from keyclient.demo.org import all_logins, demo_logins

        if options["all"]:
            self.print_logins(all_logins(), heading="All staff")
            self.stdout.write(
                "Two-factor login: staff marked * have a demo authenticator "
                "(`.venv/bin/keyclient demo code <staff no>` prints its code); the others enrol one at their "
                "first login (the page shows a QR code and the secret for any authenticator app)."
            )
            return
        self.print_logins(demo_logins())
        self.stdout.write(
            "Two-factor login: these demo users have an authenticator already; "
            "`.venv/bin/keyclient demo code <staff no>` prints the current 6-digit code."
        )
        self.stdout.write(
            "More logins (e.g. a second RM, to try the data scope): `.venv/bin/keyclient demo logins --all`."
        )

    def do_code(self, **options: Any) -> None:
        from keyclient.demo.org import demo_code

        try:
            self.stdout.write(demo_code(options["username"]))
        except LookupError as exc:
            raise CommandError(str(exc)) from exc

    def print_logins(self, logins: list[dict[str, str]], heading: str = "Demo logins") -> None:
        self.stdout.write(f"\n{heading} (password: {demo_password()})")
        for login in logins:
            self.stdout.write(
                f"  {pad(login['role'], 24)}{pad(login['username'], 10)}{pad(login['name'], 8)} {login['unit']}"
            )


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: wide and full-width (East Asian) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` terminal columns (at least one space after it)."""
    return text + " " * max(1, width - display_width(text))


def demo_password() -> str:
    """The demo staff password: KEYCLIENT_DEMO_PASSWORD, or the documented demo default."""
    return os.environ.get(DEMO_PASSWORD_ENV, DEFAULT_DEMO_PASSWORD)
