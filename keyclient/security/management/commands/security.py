"""`keyclient security new-key | rotate-keys`: manage the field encryption keys."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from keyclient.security.crypto import new_field_key, rotate
from keyclient.security.fields import EncryptedTextField


class Command(BaseCommand):
    help = "Field encryption keys: print a new key, or re-encrypt every personal field under the first key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("new-key", help="print a new Fernet key for KEYCLIENT_FIELD_KEYS")
        rot = sub.add_parser("rotate-keys", help="re-encrypt all encrypted fields under the first key")
        rot.add_argument("--batch", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "new-key":
            self.stdout.write(new_field_key())
            return
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if fields:
                count = rotate_table(
                    model._meta.db_table, [f.column for f in fields if f.column], options["batch"]
                )
                self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")


def rotate_table(table: str, columns: list[str], batch: int) -> int:
    """Re-encrypt `columns` of `table` in id order, one transaction per batch (safe to re-run)."""
    q = connection.ops.quote_name
    select = (
        f"SELECT id, {', '.join(q(c) for c in columns)} FROM {q(table)} WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608
    )
    update = f"UPDATE {q(table)} SET {', '.join(f'{q(c)} = %s' for c in columns)} WHERE id = %s"  # noqa: S608
    last, done = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select, [last, batch])
            rows = cursor.fetchall()
            if not rows:
                return done
            cursor.executemany(update, [(*(rotate(v) for v in row[1:]), row[0]) for row in rows])
        last, done = rows[-1][0], done + len(rows)
