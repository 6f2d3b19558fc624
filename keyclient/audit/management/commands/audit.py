"""`keyclient audit verify`: check the access stream's hash chain end to end."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keyclient.audit.chain import verify_chain
from keyclient.audit.models import AccessEvent, ChainHead
from keyclient.audit.services import ACCESS_STREAM


class Command(BaseCommand):
    help = "Audit trail tools. `verify` checks that no access-log row was edited, deleted or inserted."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="verify the access log's hash chain")

    def handle(self, *args: Any, **options: Any) -> None:
        head = ChainHead.objects.filter(stream=ACCESS_STREAM).first()
        rows = AccessEvent.objects.order_by("seq").values().iterator(chunk_size=5000)
        problems = verify_chain(rows, head.seq if head else 0, head.hash if head else "0" * 64)
        if problems:
            for p in problems:
                where = f"row id {p.row_id}, position {p.seq}" if p.row_id else f"position {p.seq}"
                self.stderr.write(f"{where}: {p.message}")
            raise CommandError(f"access log verification FAILED: {len(problems)} problem(s)")
        self.stdout.write(
            self.style.SUCCESS(f"access log verified: {head.seq if head else 0} rows, chain intact")
        )
