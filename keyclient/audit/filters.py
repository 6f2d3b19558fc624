"""Searching the audit streams by client, staff member, date and action."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyclient.audit.models import AccessEvent, BusinessEvent, FieldChange

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STREAMS: dict[str, Any] = {"access": AccessEvent, "business": BusinessEvent, "changes": FieldChange}


# The dates a search may name. Outside them a date is refused with a message: 0001-01-01 and
# 9999-12-31 overflowed when turned into the bank's time zone or into the next day.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


def _within_bounds(value: dt.date) -> None:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise forms.ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="date_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )


def _date_field(label: StrOrPromise) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        validators=[_within_bounds],
        widget=forms.DateInput(attrs={"type": "date", "min": EARLIEST_DATE, "max": LATEST_DATE}),
    )


class AuditSearchForm(forms.Form):
    customer_no = forms.CharField(label=_("Client number"), required=False, max_length=20)
    staff = forms.CharField(label=_("Staff number"), required=False, max_length=150)
    date_from = _date_field(_("From"))
    date_to = _date_field(_("To"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The search page shows the form's general errors: name each refused field there, so that a
        # bad date is a message and not an empty result.
        problems = [
            f"{self.fields[name].label}: {' '.join(str(e) for e in errors)}"
            for name, errors in self.errors.items()
            if name != NON_FIELD_ERRORS
        ]
        if problems:
            raise forms.ValidationError(problems)
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


def search(stream: str, data: dict[str, Any]) -> QuerySet:
    """Rows of `stream` matching the cleaned form `data`, newest first."""
    model = STREAMS[stream]
    rows = model.objects.order_by("-at", "-pk")
    if data.get("customer_no"):
        if stream == "changes":
            rows = rows.filter(customer_id__in=_customer_ids(data["customer_no"]))
        else:
            rows = rows.filter(customer_no=data["customer_no"])
    if data.get("staff"):
        rows = rows.filter(actor_name=data["staff"])
    zone = timezone.get_current_timezone()
    if data.get("date_from"):
        rows = rows.filter(at__gte=dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=zone))
    if data.get("date_to"):
        rows = rows.filter(
            at__lt=dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        )
    return rows


def _customer_ids(customer_no: str) -> list[int]:
    """Client ids that access and business events recorded for this client number."""
    ids = set(AccessEvent.objects.filter(customer_no=customer_no).values_list("customer_id", flat=True))
    ids |= set(BusinessEvent.objects.filter(customer_no=customer_no).values_list("customer_id", flat=True))
    return [i for i in ids if i is not None]
