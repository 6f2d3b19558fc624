"""Pagination that never counts more rows than it shows a number for.

Counting every row of a million-client scope costs more than the page itself; past `count_cap`
the page says "1,000+" instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.db.models.query import ModelIterable


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


def capped_page(queryset: QuerySet, page: Any, *, per_page: int, count_cap: int = 1_000) -> CappedPage:
    """Page `page` (1-based; bad values mean 1) of `queryset`, with the total counted up to `count_cap`.

    Three bounded queries, whatever the table size: the sort keys of at most `count_cap + 1`
    matches (this is also the count); the page's ids; the page's rows by primary key. When the
    matches fit under the cap, the page is cut from the sort keys already fetched; when they do not,
    matches are dense and an ids-only `ORDER BY … LIMIT` (index-only on a covering index) is short.
    """
    try:
        number = max(int(page), 1)
    except (TypeError, ValueError):
        number = 1
    number = min(number, count_cap // per_page + 1)
    ordering = [str(o) for o in (queryset.query.order_by or queryset.model._meta.ordering)]
    keys = list(queryset.order_by().values_list("pk", *(o.lstrip("-") for o in ordering))[: count_cap + 1])
    capped = len(keys) > count_cap
    offset = (number - 1) * per_page
    if queryset._iterable_class is not ModelIterable:  # .values() rows: slice them as they are
        rows = list(queryset[offset : offset + per_page])
        return CappedPage(rows, number, per_page, min(len(keys), count_cap), capped)
    if capped:
        ids = list(queryset.values_list("pk", flat=True)[offset : offset + per_page])
    else:
        for position in reversed(range(len(ordering))):  # stable sorts, last key first
            keys.sort(
                key=lambda k, p=position: (k[1 + p] is None, k[1 + p]),
                reverse=ordering[position].startswith("-"),
            )
        ids = [k[0] for k in keys[offset : offset + per_page]]
    found = {obj.pk: obj for obj in queryset.order_by().filter(pk__in=ids)} if ids else {}
    rows = [found[i] for i in ids if i in found]
    return CappedPage(rows, number, per_page, min(len(keys), count_cap), capped)
