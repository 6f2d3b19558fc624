"""Client searches under per-user limits; searches by a full identifier recorded for compliance.

A whole mobile number or resident ID in the search box answers "does a client with this number
exist?": with a mobile masked to four unknown digits, 10,000 searches would recover it. So every
search of the client list (page, API, export) goes through `search_clients`:

- Each user has a window of `KEYCLIENT_SEARCH_WINDOW_MINUTES`, opened by their first search, that
  allows `KEYCLIENT_SEARCH_RATE` searches, of which `KEYCLIENT_IDENTIFIER_SEARCH_RATE` by a full
  identifier. One more is refused (`SearchLimited`: HTTP 429 in the API, a message on the page)
  and nothing is searched. Refused searches do not count.
- A search by a full identifier is an access event `search_identifier`: who, the kind of
  identifier and the number of results, or `refused`. Never the value.
- The first identifier search refused in a window is a burst: the business event
  `search_limit_reached` (actor: the user) alerts compliance, once per window.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from keyclient.audit.choices import AccessAction
from keyclient.audit.services import record_access, record_event
from keyclient.customers.models import SearchWindow
from keyclient.customers.search import identifier_kind, search_filter

BURST_VERB = "search_limit_reached"


class SearchLimited(Exception):
    """A search refused because the user reached a limit; `retry_after` in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _window_length() -> dt.timedelta:
    return dt.timedelta(minutes=settings.KEYCLIENT_SEARCH_WINDOW_MINUTES)


def _current_window(actor: Any, now: dt.datetime) -> SearchWindow:
    """The actor's window, locked for this transaction; a new one when the last has run out."""
    SearchWindow.objects.get_or_create(user=actor, defaults={"started_at": now})
    window = SearchWindow.objects.select_for_update().get(user=actor)
    if now >= window.started_at + _window_length():
        window.started_at, window.searches, window.identifier_searches, window.alerted = now, 0, 0, False
    return window


def _refusal(window: SearchWindow, kind: str) -> str:
    """Why this search is refused, or `""` when it is within the limits."""
    if window.searches >= settings.KEYCLIENT_SEARCH_RATE:
        return "searches"
    if kind and window.identifier_searches >= settings.KEYCLIENT_IDENTIFIER_SEARCH_RATE:
        return "identifier"
    return ""


def search_clients(
    *, actor: Any, queryset: QuerySet, text: str, request: HttpRequest | None = None
) -> QuerySet:
    """`queryset` (already scoped) narrowed to what `text` finds, counted against `actor`'s limits.

    Raises `SearchLimited` when the actor is over a limit (after recording the refusal)."""
    kind = identifier_kind(text)
    now = timezone.now()
    rows = queryset.filter(search_filter(text))
    with transaction.atomic():
        window = _current_window(actor, now)
        refusal = _refusal(window, kind)
        if not refusal:
            window.searches += 1
            window.identifier_searches += 1 if kind else 0
        if kind:
            detail = f"kind={kind} refused" if refusal else f"kind={kind} results={rows.count()}"
            record_access(actor=actor, action=AccessAction.SEARCH_IDENTIFIER, detail=detail, request=request)
        if refusal == "identifier" and not window.alerted:
            window.alerted = True
            record_event(
                actor=actor,
                verb=BURST_VERB,
                after={
                    "kind": kind,
                    "identifier_searches": window.identifier_searches,
                    "window_started": window.started_at.isoformat(),
                    "window_minutes": settings.KEYCLIENT_SEARCH_WINDOW_MINUTES,
                },
                note=f"{window.identifier_searches} searches by a full identifier within "
                f"{settings.KEYCLIENT_SEARCH_WINDOW_MINUTES} minutes; one more was refused",
            )
        window.save()
    if not refusal:
        return rows
    seconds = max(1, math.ceil((window.started_at + _window_length() - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    if refusal == "identifier":
        message = _(
            "Too many searches by a full mobile or ID number: you may search by one again in "
            "%(minutes)d minutes. Compliance has been told."
        ) % {"minutes": minutes}
    else:
        message = _("Too many searches: you may search again in %(minutes)d minutes.") % {"minutes": minutes}
    raise SearchLimited(message, retry_after=seconds)
