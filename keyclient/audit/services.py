"""Writing to the audit streams. Every call names its actor (a user or a `Job`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from keyclient.audit.actors import actor_columns
from keyclient.audit.chain import row_hash
from keyclient.audit.models import AccessEvent, BusinessEvent, ChainHead, FieldChange
from keyclient.security.network import client_ip

__all__ = ["client_ip", "record_access", "record_changes", "record_event"]

if TYPE_CHECKING:
    from keyclient.audit.actors import Actor

ACCESS_STREAM = "access"


@transaction.atomic
def record_access(
    *,
    actor: Actor,
    action: str,
    customer: Any = None,
    fields: Iterable[str] = (),
    reason: str = "",
    detail: str = "",
    request: HttpRequest | None = None,
) -> AccessEvent:
    """Append one access event to the hash chain (serialised on the chain head's row lock)."""
    head = ChainHead.objects.select_for_update().filter(stream=ACCESS_STREAM).first()
    if head is None:  # the first event ever; the unique stream name stops a second head
        head = ChainHead.objects.create(stream=ACCESS_STREAM)
    values: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": timezone.now().replace(microsecond=0),
        **actor_columns(actor),
        "action": action,
        "customer_id": getattr(customer, "pk", None),
        "customer_no": getattr(customer, "customer_no", "") or "",
        "fields": ",".join(sorted(fields)),
        "reason": reason[:500],
        "detail": detail[:500],
        "ip": client_ip(request),
    }
    digest = row_hash(values, head.hash)
    event = AccessEvent.objects.create(**values, prev_hash=head.hash, hash=digest)
    head.seq, head.hash = values["seq"], digest
    head.save(update_fields=["seq", "hash"])
    return event


def record_event(
    *,
    actor: Actor,
    verb: str,
    customer: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> BusinessEvent:
    """Append one business event (call inside the transaction of the change it describes)."""
    return BusinessEvent.objects.create(
        at=timezone.now(),
        **actor_columns(actor),
        verb=verb,
        customer_id=getattr(customer, "pk", None),
        customer_no=getattr(customer, "customer_no", "") or "",
        before=before or {},
        after=after or {},
        note=note[:500],
    )


def record_changes(
    *, actor: Actor, instance: Any, changes: dict[str, tuple[Any, Any]], customer_id: int | None = None
) -> list[FieldChange]:
    """Append one row per changed field of `instance`: `changes` maps field → (old, new), already masked."""
    now = timezone.now()
    who = actor_columns(actor)
    rows = [
        FieldChange(
            at=now,
            **who,
            model=instance._meta.label,
            object_id=str(instance.pk),
            customer_id=customer_id,
            field=field,
            old="" if old is None else str(old),
            new="" if new is None else str(new),
        )
        for field, (old, new) in changes.items()
        if old != new
    ]
    return FieldChange.objects.bulk_create(rows)
