"""Exporting the client list: masked, capped, watermarked and recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Field, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.choices import AccessAction
from keyclient.audit.services import record_access, record_event
from keyclient.core.exports import export_table
from keyclient.customers.choices import NOT_ON_FILE, CustomerKind, CustomerStatus, Tier
from keyclient.customers.models import Customer, CustomerPosition
from keyclient.customers.scope import class_filter
from keyclient.security.field_classes import FieldClass
from keyclient.security.masking import mask_phone

if TYPE_CHECKING:
    from keyclient.audit.actors import Staff


class ExportTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    rows: int


def withheld_columns(clients: QuerySet, user: Staff) -> QuerySet:
    """`clients` with `shown_aum` and `shown_mobile`: empty where `user` reaches a client only through
    a service team whose role does not see wealth or contact data (`keyclient.security.field_classes`)."""
    columns = {}
    # The AUM lives in the client's position (docs/adr/0006-client-position-table.md).
    for name, source, field_class in (
        ("aum", "position__aum", FieldClass.WEALTH),
        ("mobile", "mobile", FieldClass.CONTACT),
    ):
        seeing = class_filter(user, field_class)
        output = CustomerPosition._meta.get_field("aum") if name == "aum" else Customer._meta.get_field(name)
        columns[f"shown_{name}"] = (
            F(source)
            if seeing is None
            else Case(
                When(seeing, then=F(source)),
                default=Value(None),
                output_field=cast(Field, output),
            )
        )
    return clients.annotate(**columns)


def export_clients(
    *, actor: Staff, clients: QuerySet, fmt: str, description: str, request: Any = None
) -> Export:
    """Export `clients` (already scoped and filtered) as `fmt`; refuse above the configured cap."""
    cap = settings.KEYCLIENT_EXPORT_MAX_ROWS
    rows = list(
        withheld_columns(clients, actor).values_list(
            "customer_no",
            "name",
            "kind",
            "tier",
            "shown_aum",
            "home_org_unit__name",
            "primary_rm__display_name",
            "status",
            "shown_mobile",
        )[: cap + 1]
    )
    if len(rows) > cap:
        raise ExportTooLarge(
            _("More than %(cap)d clients match: narrow the filters before exporting.") % {"cap": cap}
        )
    now = timezone.localtime()
    with transaction.atomic():
        event = record_access(
            actor=actor,
            action=AccessAction.EXPORT_LIST,
            detail=f"clients {fmt} rows={len(rows)} {description}"[:500],
            request=request,
        )
        record_event(
            actor=actor,
            verb="export_made",
            after={"list": "clients", "format": fmt, "rows": len(rows), "access_seq": event.seq},
        )
    watermark = _("Confidential. Exported by %(user)s (%(name)s) at %(time)s, export no. %(seq)d") % {
        "user": actor.get_username(),
        "name": getattr(actor, "display_name", ""),
        "time": now.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "seq": event.seq,
    }
    header = [
        _("Client number"),
        _("Name"),
        _("Kind"),
        _("Tier"),
        _("AUM (monthly average)"),
        _("Org unit"),
        _("RM"),
        _("Status"),
        _("Mobile"),
    ]
    kinds, tiers, statuses = dict(CustomerKind.choices), dict(Tier.choices), dict(CustomerStatus.choices)
    body = (
        (
            row[0],
            row[1] or str(NOT_ON_FILE),
            str(kinds.get(row[2], row[2])),
            str(tiers.get(row[3], row[3])),
            "" if row[4] is None else f"{row[4]:.2f}",
            row[5],
            row[6] or "",
            str(statuses.get(row[7], row[7])),
            mask_phone(row[8]),
        )
        for row in rows
    )
    content = export_table(fmt, watermark=watermark, header=header, rows=body)
    return Export(content=content, filename=f"clients-{now:%Y%m%d-%H%M%S}.{fmt}", rows=len(rows))
