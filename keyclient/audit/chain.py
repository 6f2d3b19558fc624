"""The hash chain of the access stream: each row's hash covers its content and the previous hash.

The hash is an HMAC keyed with `settings.KEYCLIENT_AUDIT_KEY`, so someone who can write to the
database but does not hold the key cannot rebuild a consistent chain after an edit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

GENESIS = "0" * 64
CHAINED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "customer_id",
    "customer_no",
    "fields",
    "reason",
    "detail",
    "ip",
)


def row_hash(values: Mapping[str, Any], prev_hash: str) -> str:
    """The HMAC of one row's chained fields and the previous row's hash."""
    payload = {name: _plain(values[name]) for name in CHAINED_FIELDS}
    payload["prev_hash"] = prev_hash
    message = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(settings.KEYCLIENT_AUDIT_KEY.encode(), message, hashlib.sha256).hexdigest()


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Problem:
    seq: int
    row_id: int | None
    message: str


def verify_chain(rows: Iterator[Mapping[str, Any]], head_seq: int, head_hash: str) -> list[Problem]:
    """Walk the chain in `seq` order; every edited, deleted or inserted row is reported."""
    problems: list[Problem] = []
    expected_seq, prev = 1, GENESIS
    for row in rows:
        if row["seq"] != expected_seq:
            problems.append(
                Problem(expected_seq, None, f"rows {expected_seq}…{row['seq'] - 1} are missing (deleted)")
                if row["seq"] > expected_seq
                else Problem(row["seq"], row["id"], "position out of order (row inserted or renumbered)")
            )
        if row["prev_hash"] != prev:
            problems.append(
                Problem(
                    row["seq"],
                    row["id"],
                    "does not follow the previous row (a row before it was deleted or edited)",
                )
            )
        if row_hash(row, row["prev_hash"]) != row["hash"]:
            problems.append(Problem(row["seq"], row["id"], "content does not match its hash (row edited)"))
        expected_seq, prev = row["seq"] + 1, row["hash"]
    if expected_seq - 1 != head_seq or prev != head_hash:
        problems.append(
            Problem(
                expected_seq,
                None,
                f"the chain ends at {expected_seq - 1} but its head says {head_seq} (rows at the end deleted)",
            )
        )
    return problems
