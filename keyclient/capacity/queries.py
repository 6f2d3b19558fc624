"""The coverage dashboard's figures, each one GROUP BY query over the clients in scope.

`norm_loads` gives, per norm of the published capacity norms, how many RMs of its grade hold how
many clients of its tiers and how many are over or under it; `key_coverage` gives, per tier whose
service level asks for a dedicated RM, the key clients, those without an RM and those without the
team their level requires, and the AUM covered. Neither queries per RM or per client.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When

from keyclient.capacity.choices import Load
from keyclient.capacity.solver import Norm
from keyclient.customers.models import Customer
from keyclient.org.models import User
from keyclient.valuation.entitlement import published_levels, with_shortfalls


def norm_case(norms: list[Norm], grade: str = "primary_rm__grade", tier: str = "tier") -> Case:
    """SQL: the index of the norm covering (the RM's grade, the client's tier), NULL for none."""
    return Case(
        *(When(Q(**{grade: n.grade, f"{tier}__in": n.tiers}), then=Value(i)) for i, n in enumerate(norms)),
        default=None,
        output_field=IntegerField(),
    )


def rm_loads(
    clients: QuerySet[Customer], rms: QuerySet[User], norms: list[Norm]
) -> dict[int, dict[int, int]]:
    """RM id → norm index → clients of that norm's tiers in the RM's book (one GROUP BY query)."""
    rows = (
        clients.filter(primary_rm__in=rms.values("pk"))
        .order_by()
        .annotate(norm=norm_case(norms))
        .filter(norm__isnull=False)
        .values_list("primary_rm_id", "norm")
        .annotate(n=Count("pk"))
    )
    loads: dict[int, dict[int, int]] = defaultdict(dict)
    for rm_id, norm, n in rows:
        loads[rm_id][norm] = n
    return loads


def load_of(grade: str, counts: dict[int, int], norms: list[Norm]) -> str:
    """Over when any norm of the grade is exceeded; under when every one is below its minimum."""
    own = [i for i, n in enumerate(norms) if n.grade == grade]
    if any(counts.get(i, 0) > norms[i].max_clients for i in own):
        return Load.OVER
    if own and all(counts.get(i, 0) < norms[i].min_clients for i in own):
        return Load.UNDER
    return Load.WITHIN


@dataclass
class NormRow:
    index: int
    norm: Norm
    rms: int = 0
    clients: int = 0
    over: int = 0
    under: int = 0

    @property
    def per_rm(self) -> float:
        return round(self.clients / self.rms, 1) if self.rms else 0.0


@dataclass
class Loads:
    rows: list[NormRow]
    over: int = 0  # RMs over any norm
    under: int = 0
    ungraded: int = 0  # RMs without a grade: no norm applies
    by_rm: dict[int, str] = field(default_factory=dict)


def norm_loads(clients: QuerySet[Customer], rms: QuerySet[User], norms: list[Norm]) -> Loads:
    """Two queries: the RMs in scope (id, grade) and the GROUP BY of `rm_loads`."""
    loads = rm_loads(clients, rms, norms)
    result = Loads(rows=[NormRow(i, n) for i, n in enumerate(norms)])
    for rm_id, grade in rms.order_by().values_list("pk", "grade"):
        if not grade:
            result.ungraded += 1
            continue
        counts = loads.get(rm_id, {})
        for row in result.rows:
            if row.norm.grade == grade:
                n = counts.get(row.index, 0)
                row.rms += 1
                row.clients += n
                row.over += n > row.norm.max_clients
                row.under += n < row.norm.min_clients
        state = load_of(grade, counts, norms)
        result.by_rm[rm_id] = state
        result.over += state == Load.OVER
        result.under += state == Load.UNDER
    return result


def key_tiers() -> list[str]:
    """The tiers whose service level asks for a dedicated RM: the key clients coverage counts."""
    _version, levels = published_levels()
    return [t for t, level in levels.items() if level.dedicated_rm]


def key_clients(clients: QuerySet[Customer]) -> QuerySet[Customer]:
    """`clients` whose service level asks for a dedicated RM, with `with_shortfalls`' flags."""
    return with_shortfalls(clients).filter(service_tier__in=key_tiers())


TEAM_GAP = Q(short_team=True) | Q(short_roles=True) | Q(short_sponsor=True)


@dataclass(frozen=True)
class TierCoverage:
    tier: str
    clients: int
    no_rm: int
    no_team: int
    aum: Decimal
    aum_covered: Decimal


def key_coverage(clients: QuerySet[Customer]) -> list[TierCoverage]:
    """Per service tier of the key clients in `clients`: one GROUP BY query."""
    rows = (
        key_clients(clients)
        .order_by()
        .values("service_tier")
        .annotate(
            n=Count("pk"),
            no_rm=Count("pk", filter=Q(short_rm=True)),
            no_team=Count("pk", filter=TEAM_GAP),
            aum_sum=Sum("position__aum"),
            covered=Sum("position__aum", filter=Q(short_rm=False)),
        )
    )
    return [
        TierCoverage(
            r["service_tier"],
            r["n"],
            r["no_rm"],
            r["no_team"],
            r["aum_sum"] or Decimal(0),
            r["covered"] or Decimal(0),
        )
        for r in rows
    ]


def covered_share(rows: list[TierCoverage]) -> float | None:
    """The share of the key clients' AUM whose client has an active RM (None without key AUM)."""
    aum = sum((r.aum for r in rows), Decimal(0))
    return float(sum((r.aum_covered for r in rows), Decimal(0)) / aum) if aum else None
