"""API pagination that never counts more rows than it reports a number for.

DRF's page-number paginator runs a full `COUNT(*)` over the caller's scope on every list call: a
head-office scope of a million clients pays for that count on each page. This paginator counts at
most `KEYCLIENT_API_COUNT_CAP + 1` matches in a subquery with a `LIMIT`; past the cap the answer
says `"count": <cap>, "count_is_capped": true` ("cap or more"). Pages past the counted range are
not served (deep offsets cost as much as the count they avoid): narrow the filter instead.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param


class CappedPagination(BasePagination):
    """Page-number pagination with a count capped at `KEYCLIENT_API_COUNT_CAP`.

    Two bounded queries per page, whatever the scope: `SELECT COUNT(*) FROM (… LIMIT cap + 1)` and
    the page's rows (`LIMIT page_size OFFSET …`).
    """

    page_query_param = "page"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.page_size = int(api_settings.PAGE_SIZE or 50)
        cap = int(settings.KEYCLIENT_API_COUNT_CAP)
        raw = request.query_params.get(self.page_query_param, "1")
        try:
            number = int(raw)
        except ValueError:
            raise NotFound(_("Invalid page.")) from None
        last_counted = max(cap // self.page_size + (1 if cap % self.page_size else 0), 1)
        if number < 1 or number > last_counted:
            raise NotFound(_("Invalid page."))
        matches = queryset.order_by()[: cap + 1].count()
        self.count = min(matches, cap)
        self.count_is_capped = matches > cap
        self.number = number
        offset = (number - 1) * self.page_size
        if number > 1 and offset >= matches:
            raise NotFound(_("Invalid page."))
        rows = list(queryset[offset : offset + self.page_size])
        self.has_next = offset + len(rows) < matches and number < last_counted
        return rows

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            OrderedDict(
                [
                    ("count", self.count),
                    ("count_is_capped", self.count_is_capped),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "count_is_capped", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "example": 123,
                    "description": "Matches, counted up to the cap; see count_is_capped.",
                },
                "count_is_capped": {
                    "type": "boolean",
                    "description": "True when there are more matches than count: narrow the filter.",
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number within the counted range.",
                "schema": {"type": "integer"},
            }
        ]
