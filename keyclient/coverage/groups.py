"""Households and corporate groups kept with one RM (a rule the assignment suggestions honour).

`kept_together(ids)` tells, for each client, the clients linked to it through household or
corporate-group links in force (`relationships.CustomerLink`), transitively: one query per hop of
the link graph, never one per client."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q
from django.utils import timezone

from keyclient.relationships.choices import LinkType
from keyclient.relationships.models import CustomerLink

KEEP_TOGETHER = (LinkType.HOUSEHOLD, LinkType.GROUP_MEMBER)
MAX_HOPS = 10  # a household or group is small; a chain longer than this is cut there


def kept_together(ids: Iterable[int], *, on: date | None = None) -> dict[int, frozenset[int]]:
    """For every client in `ids`: the set of clients (itself included) its household or group
    reaches, among links in force on `on` (today by default). Unscoped: pass ids from the door."""
    on = on or timezone.localdate()
    in_force = Q(link_type__in=KEEP_TOGETHER) & (Q(end_date__isnull=True) | Q(end_date__gte=on))
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    start = set(ids)
    frontier, seen = set(start), set(start)
    for _hop in range(MAX_HOPS):
        if not frontier:
            break
        edges = (
            CustomerLink.objects.filter(in_force)
            .filter(Q(from_customer_id__in=frontier) | Q(to_customer_id__in=frontier))
            .values_list("from_customer_id", "to_customer_id")
        )
        reached: set[int] = set()
        for a, b in edges:
            parent[root(a)] = root(b)
            reached.update((a, b))
        frontier = reached - seen
        seen |= reached
    members: dict[int, set[int]] = {}
    for x in seen:
        members.setdefault(root(x), set()).add(x)
    return {i: frozenset(members[root(i)]) for i in start}
