"""Assignment suggestions from the database: the solver's inputs in a few GROUP BY queries, and its
counts turned back into named clients (ADR 0007).

Scope: the clients and RMs of a `CoverageScope`. An RM's unit is where it takes clients; a client
homed below it (an outlet under a sub-branch) belongs to the nearest unit up its path that has RMs.
Households and corporate groups stay with one RM: a client with an active household or group link
never moves in a rebalance (it counts as fixed load), and an uncovered one whose linked client has
an RM is suggested that RM first. Language is not matched: the client master has no language field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from keyclient.capacity.norms import published_norms
from keyclient.capacity.queries import key_clients, norm_case
from keyclient.capacity.scope import CoverageScope
from keyclient.capacity.solver import Move, Norm, Rm, Solution, norm_index, solve
from keyclient.customers.models import Customer
from keyclient.org.models import OrgUnit
from keyclient.relationships.choices import LinkType
from keyclient.relationships.models import CustomerLink

KEEP_TOGETHER = (LinkType.HOUSEHOLD, LinkType.GROUP_MEMBER)


@dataclass(frozen=True)
class Line:
    """One suggested move: `customer` from `from_rm` (None: uncovered) to `to_rm`."""

    customer_id: int
    customer_no: str
    name: str
    tier: str
    aum: Decimal
    from_rm: int | None
    to_rm: int
    why: str  # "rebalance", "uncovered" or "household"

    @property
    def key(self) -> str:
        return f"{self.customer_id}:{self.from_rm or 0}:{self.to_rm}"


@dataclass(frozen=True)
class Plan:
    lines: list[Line]
    solution: Solution
    norms_version: int | None
    left_household: int  # uncovered household/group members whose household has no RM: for a person


def linked(clients: QuerySet[Customer]) -> Q:
    """Clients with an active household or corporate-group link, either way."""
    links = CustomerLink.objects.filter(link_type__in=KEEP_TOGETHER, end_date__isnull=True)
    return Q(Exists(links.filter(from_customer=OuterRef("pk")))) | Q(
        Exists(links.filter(to_customer=OuterRef("pk")))
    )


def serving_units(rm_units: set[int], scope: CoverageScope) -> dict[int, int]:
    """Unit id → the nearest unit up its path (itself included) where RMs in scope sit."""
    units = OrgUnit.objects.all()
    if scope.unit is not None:
        units = units.filter(path__startswith=scope.unit.path)
    rows = list(units.values_list("pk", "code", "path"))
    by_code = {code: pk for pk, code, _path in rows}
    serving: dict[int, int] = {}
    for pk, _code, path in rows:
        for code in reversed([c for c in path.split("/") if c]):
            up = by_code.get(code)
            if up in rm_units:
                serving[pk] = up
                break
    return serving


def suggest(scope: CoverageScope) -> Plan:
    version, norms = published_norms()
    covers = norm_index(norms)
    rms = [
        Rm(pk, unit, grade)
        for pk, unit, grade in scope.rms.exclude(grade="")
        .exclude(org_unit=None)
        .values_list("pk", "org_unit_id", "grade")
    ]
    rm_ids = {r.id for r in rms}
    rm_of = {r.id: r for r in rms}
    serving = serving_units({r.unit for r in rms}, scope)
    together = linked(scope.clients)

    # Books: movable clients per (RM, tier); fixed load per (RM, norm).
    book_rows = (
        scope.clients.filter(primary_rm__in=list(rm_ids))
        .order_by()
        .annotate(norm=norm_case(norms), fixed=together)
        .filter(norm__isnull=False)
        .values_list("primary_rm_id", "tier", "norm", "fixed")
    )
    books: dict[tuple[int, str], int] = {}
    fixed: dict[tuple[int, int], int] = defaultdict(int)
    for rm_id, tier, norm, is_fixed, n in book_rows.annotate(n=Count("pk")):
        if is_fixed:
            fixed[(rm_id, norm)] += n
        else:
            books[(rm_id, tier)] = n

    # Uncovered key clients: households first, to their linked client's RM where that RM may take them.
    uncovered_qs = key_clients(scope.clients).filter(short_rm=True)
    household_lines, left = _household_lines(uncovered_qs, together, rm_of, covers, fixed, norms)
    placed = {line.customer_id for line in household_lines}
    pool: dict[tuple[int, str], int] = defaultdict(int)
    for unit, tier, n in (
        uncovered_qs.exclude(together)
        .order_by()
        .values_list("home_org_unit_id", "tier")
        .annotate(n=Count("pk"))
    ):
        if unit in serving:
            pool[(serving[unit], tier)] += n

    solution = solve(rms=rms, norms=norms, books=books, fixed=dict(fixed), uncovered=dict(pool))
    lines = household_lines + _named(solution, scope, together, serving, placed)
    return Plan(lines=lines, solution=solution, norms_version=version, left_household=left)


def _household_lines(
    uncovered: QuerySet[Customer],
    together: Q,
    rm_of: dict[int, Rm],
    covers: dict[tuple[str, str], int],
    fixed: dict[tuple[int, int], int],
    norms: list[Norm],
) -> tuple[list[Line], int]:
    """Uncovered household / group members → the RM of a linked client (largest AUM first), when that
    RM's grade serves the tier and the norm has room; each taken slot becomes fixed load."""
    members = list(
        uncovered.filter(together)
        .order_by("-position__aum", "pk")
        .values_list("pk", "customer_no", "name", "tier", "position__aum")
    )
    if not members:
        return [], 0
    ids = [m[0] for m in members]
    links = CustomerLink.objects.filter(link_type__in=KEEP_TOGETHER, end_date__isnull=True)
    partner_rm: dict[int, int] = {}
    for a, b, rm_a, rm_b in links.filter(Q(from_customer__in=ids) | Q(to_customer__in=ids)).values_list(
        "from_customer_id", "to_customer_id", "from_customer__primary_rm_id", "to_customer__primary_rm_id"
    ):
        if b in ids and rm_a in rm_of:
            partner_rm.setdefault(b, rm_a)
        if a in ids and rm_b in rm_of:
            partner_rm.setdefault(a, rm_b)
    lines, left = [], 0
    for pk, no, name, tier, aum in members:
        rm_id = partner_rm.get(pk)
        n = covers.get((rm_of[rm_id].grade, tier)) if rm_id is not None else None
        if rm_id is None or n is None or fixed[(rm_id, n)] >= norms[n].max_clients:
            left += 1
            continue
        fixed[(rm_id, n)] += 1
        lines.append(Line(pk, no, name, tier, aum, None, rm_id, "household"))
    return lines, left


def _named(
    solution: Solution, scope: CoverageScope, together: Q, serving: dict[int, int], placed: set[int]
) -> list[Line]:
    """The clients behind the solution's counts: from a book the smallest AUM first (the least
    disruption), from the uncovered pool the largest first. Two window queries."""
    lines: list[Line] = []
    out: dict[tuple[int | None, str], list[Move]] = defaultdict(list)
    new: dict[tuple[int | None, str], list[Move]] = defaultdict(list)
    for m in solution.moves:
        (out if m.from_rm is not None else new)[
            (m.from_rm if m.from_rm is not None else m.unit, m.tier)
        ].append(m)
    if out:
        wanted = max(sum(m.count for m in ms) for ms in out.values())
        rows = (
            scope.clients.filter(primary_rm__in={k[0] for k in out}, tier__in={k[1] for k in out})
            .exclude(together)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("primary_rm_id"), F("tier")],
                    order_by=[F("position__aum").asc(), F("pk").asc()],
                )
            )
            .filter(rank__lte=wanted)
            .order_by("primary_rm_id", "tier", "rank")
            .values_list("pk", "customer_no", "name", "tier", "position__aum", "primary_rm_id")
        )
        lines += _deal(rows, out, "rebalance", key=lambda r: (r[5], r[3]))
    if new:
        targets = {k[0] for k in new}
        units = {u for u, target in serving.items() if target in targets}
        rows = (
            key_clients(scope.clients)
            .filter(short_rm=True, home_org_unit__in=units)
            .exclude(together)
            .exclude(pk__in=placed)
            .values_list("pk", "customer_no", "name", "tier", "position__aum", "home_org_unit_id")
            .order_by("-position__aum", "pk")
        )
        # The pool is per serving unit, which spans several home units: dealt in AUM order over the
        # uncovered clients of the units concerned only.
        lines += _deal(rows, new, "uncovered", key=lambda r: (serving[r[5]], r[3]))
    return lines


def _deal(
    rows: Iterable[tuple[Any, ...]],
    moves: dict[tuple[int | None, str], list[Move]],
    why: str,
    *,
    key: Callable[[tuple[Any, ...]], tuple[int | None, str]],
) -> list[Line]:
    """Give each move its `count` clients from the rows of its (source, tier), in order."""
    lines: list[Line] = []
    queues: dict[tuple[int | None, str], list[list[int]]] = {
        k: [[m.to_rm, m.count] for m in ms] for k, ms in moves.items()
    }
    for row in rows:
        queue = queues.get(key(row))
        if not queue:
            continue
        to_rm = queue[0][0]
        queue[0][1] -= 1
        if not queue[0][1]:
            queue.pop(0)
        pk, no, name, tier, aum, source = row
        lines.append(Line(pk, no, name, tier, aum, source if why == "rebalance" else None, to_rm, why))
    return lines
