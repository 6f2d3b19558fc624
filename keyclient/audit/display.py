"""The audit streams as a reviewer reads them: labels instead of codes, readable details.

Rows are stored as written (codes, field names, URL-encoded details) so that the hash chain and the
exports stay exact; this module only turns them into words for the screen. Labels of choice codes
and field names come from the models through the app registry, so the audit layer imports no
higher layer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from django.apps import apps
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyclient.audit.choices import AccessAction, EventVerb, JobName
from keyclient.audit.filters import STREAMS
from keyclient.security.logfilter import redact

# Columns that hold identifiers (client numbers, row ids): shown as they are, never grouped.
IDENT_COLUMNS = {"seq", "id", "customer_no", "object_id", "ip"}
HEADERS = {
    "actor_name": gettext_lazy("Actor"),
    "verb": gettext_lazy("Event"),
    "model": gettext_lazy("Record"),
}
# Keys of the before/after details that are no model field's name.
DETAIL_KEYS = {
    "as_of": gettext_lazy("month end"),
    "date": gettext_lazy("date"),
    "load_date": gettext_lazy("load date"),
    "policy": gettext_lazy("policy version"),
    "version": gettext_lazy("version"),
    "from": gettext_lazy("based on version"),
    "rules": gettext_lazy("rules"),
    "value_scores": gettext_lazy("value scores"),
    "tier_assignments": gettext_lazy("tier assignments"),
    "tier_changes": gettext_lazy("tier changes"),
    "daily": gettext_lazy("daily balances"),
    "bank_outflows": gettext_lazy("transfers to other banks"),
    "events": gettext_lazy("significant transactions"),
    "month_end": gettext_lazy("month-end snapshots"),
    "daily_rows": gettext_lazy("daily rows"),
    "bank_outflow_rows": gettext_lazy("transfer rows"),
    "accepted": gettext_lazy("rows accepted"),
    "rejected": gettext_lazy("rows rejected"),
    "rows": gettext_lazy("rows"),
    "list": gettext_lazy("list"),
    "format": gettext_lazy("format"),
    "access_seq": gettext_lazy("access record"),
    "user": gettext_lazy("user"),
    "username": gettext_lazy("user"),
    "demo": gettext_lazy("demo"),
    "method": gettext_lazy("method"),
    "scope": gettext_lazy("scope"),
    "failures": gettext_lazy("failures"),
    "until": gettext_lazy("until"),
    "id": gettext_lazy("record"),
    "was_approved": gettext_lazy("was approved"),
    "evidence": gettext_lazy("evidence"),
}
DETAIL_VALUES = {
    "clients": gettext_lazy("client list"),
    "user": gettext_lazy("user"),
    "ip": gettext_lazy("address"),
}


def _project_fields() -> Iterable[Any]:
    for model in apps.get_models():
        if model.__module__.startswith("keyclient."):
            yield from model._meta.concrete_fields


@cache
def _fields_named(name: str) -> tuple[Any, ...]:
    return tuple(f for f in _project_fields() if f.name == name)


def field_label(name: str, model: Any = None) -> str:
    """The verbose name of field `name` (of `model` when given, else of any model that has one)."""
    if model is not None:
        try:
            return str(capfirst(model._meta.get_field(name).verbose_name))
        except LookupError:
            pass
    if name in DETAIL_KEYS:
        return str(DETAIL_KEYS[name])
    fields = _fields_named(name)
    return str(capfirst(fields[0].verbose_name)) if fields else name


def choice_label(value: Any, key: str = "", model: Any = None) -> Any:
    """The label of a stored choice code: of the field `key` (of `model`) when it declares the code,
    else of any field that does; other values come back unchanged."""
    if not isinstance(value, str) or not value:
        return value
    candidates: list[Any] = []
    if model is not None and key:
        with contextlib.suppress(LookupError):
            candidates.append(model._meta.get_field(key))
    candidates += [*_fields_named(key), *_project_fields()] if key else list(_project_fields())
    for field in candidates:
        for code, label in getattr(field, "flatchoices", None) or ():
            if code == value:
                return str(label)
    return value


def actor_label(actor_name: str) -> str:
    """`job:intake` → the job's name in words; a user's staff number as it is."""
    if not actor_name.startswith("job:"):
        return actor_name
    job = actor_name.removeprefix("job:")
    label = dict(JobName.choices).get(job, job)
    return _("Job: %(name)s") % {"name": label}


def verb_label(verb: str) -> str:
    return str(dict(EventVerb.choices).get(verb, verb))


def action_label(action: str) -> str:
    return str(dict(AccessAction.choices).get(action, action))


def _plain(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    if isinstance(value, (dict, list)):
        return _("%(n)d entries") % {"n": len(value)}
    if value is None or value == "":
        return "—"
    text = str(DETAIL_VALUES.get(value, value)) if isinstance(value, str) else str(value)
    return str(choice_label(text, key))


def readable_details(details: Any) -> str:
    """A before/after mapping as `label: value; …` (by key) with codes turned into their labels."""
    if not details:
        return ""
    if not isinstance(details, dict):
        return str(details)
    # Sorted by key: PostgreSQL's jsonb does not keep the order the keys were written in.
    return "; ".join(f"{field_label(key)}: {_plain(value, key)}" for key, value in sorted(details.items()))


def readable_access_detail(detail: str) -> str:
    """The free-text detail of an access event, URL-decoded (`q=%E7%8E%8B` → `q=王`) and with any
    resident ID or mobile number in it masked."""
    return redact(unquote_plus(detail))


def headers(stream: str, columns: list[str]) -> list[str]:
    model = STREAMS[stream]
    return [str(HEADERS.get(c) or field_label(c, model)) for c in columns]


def readable_row(stream: str, row: dict[str, Any]) -> list[tuple[Any, bool]]:
    """One audit row (`values()` of its columns) as (value, is_identifier) cells for the page."""
    model = STREAMS[stream]
    changed_model = None
    if stream == "changes":
        try:
            changed_model = apps.get_model(row["model"])
        except (LookupError, ValueError):
            changed_model = None
    cells: list[tuple[Any, bool]] = []
    for column, value in row.items():
        if column == "actor_name":
            value = actor_label(value)
        elif column == "action":
            value = action_label(value)
        elif column == "verb":
            value = verb_label(value)
        elif column == "fields" and value:
            value = ", ".join(field_label(name) for name in value.split(","))
        elif column == "detail":
            value = readable_access_detail(value)
        elif column in {"before", "after"}:
            value = readable_details(value)
        elif column == "model" and changed_model is not None:
            value = str(capfirst(changed_model._meta.verbose_name))
        elif column == "field" and changed_model is not None:
            value = field_label(value, changed_model)
        elif column in {"old", "new"} and changed_model is not None:
            value = choice_label(value, row.get("field", ""), changed_model)
        elif column not in IDENT_COLUMNS and isinstance(value, int) and not isinstance(value, bool):
            value = number_format(value, force_grouping=True)
        cells.append(("" if value is None else value, column in IDENT_COLUMNS))
    del model
    return cells


def export_row(stream: str, row: dict[str, Any]) -> list[Any]:
    """One row of an export: the page's words, times in ISO 8601, numbers as numbers."""
    cells = []
    for (value, _ident), raw in zip(readable_row(stream, row), row.values(), strict=True):
        if hasattr(raw, "isoformat"):
            cells.append(raw.isoformat())
        elif isinstance(raw, int) and not isinstance(raw, bool):
            cells.append(raw)
        else:
            cells.append(value)
    return cells
