"""Pagination that never counts more rows than it shows a number for.

Counting every row of a million-client scope costs more than the page itself; past `count_cap`
the page says "10,000+" instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass
class CappedPage:
    object_list: list[Any]
    number: int
    per_page: int
    count: int
    count_is_capped: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.count > self.number * self.per_page

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.object_list) - 1 if self.object_list else 0


def capped_page(queryset: QuerySet, page: Any, *, per_page: int, count_cap: int = 10_000) -> CappedPage:
    """Page `page` (1-based; bad values mean 1) of `queryset`, with the total counted up to `count_cap`."""
    try:
        number = max(int(page), 1)
    except (TypeError, ValueError):
        number = 1
    number = min(number, count_cap // per_page + 1)
    count = queryset.order_by()[: count_cap + 1].count()
    capped = count > count_cap
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page])
    return CappedPage(rows, number, per_page, min(count, count_cap), capped)
