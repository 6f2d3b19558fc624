"""Tier analytics read from the CRM database, always inside the user's scope
(`Customer.objects.visible_to`): the month's tier migration (from tier × to tier) and the Pareto
concentration of AUM, contribution and value score with its Lorenz curve.

Everything is set-based: one GROUP BY for a month's migration, one window query per Pareto measure
(plain SQL window functions that SQLite and PostgreSQL both run). Python only shapes the few dozen
result rows for the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, DecimalField, F, FilteredRelation, Max, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from keyclient.core.charts import LorenzChart, lorenz_chart
from keyclient.customers.choices import CustomerKind, CustomerStatus, Tier
from keyclient.customers.models import Customer
from keyclient.org.models import OrgUnit
from keyclient.valuation.choices import TierState
from keyclient.valuation.models import TierAssignment, ValueScore
from keyclient.valuation.policy import CORPORATE_LADDER, INDIVIDUAL_LADDER, RANK

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer

# --- scope ---------------------------------------------------------------------------------------


def scoped_clients(user: Viewer, *, unit: OrgUnit | None = None, segment: str = "") -> QuerySet[Customer]:
    """The clients in `user`'s scope, optionally within `unit`'s subtree and one segment (a kind of
    client or a current tier)."""
    clients = Customer.objects.visible_to(user)
    if unit is not None:
        clients = clients.filter(
            home_org_unit__in=OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
        )
    if segment in CustomerKind.values:
        clients = clients.filter(kind=segment)
    elif segment in Tier.values:
        clients = clients.filter(tier=segment)
    return clients


def _filters_anything(clients: QuerySet[Customer]) -> bool:
    """Whether the scoped query restricts the clients at all (head office with no filter does not:
    joining a million ids back to themselves would only cost time)."""
    return bool(clients.query.where)


# --- the from tier × to tier matrix (migration and what-if) ----------------------------------------

LADDERS = (
    (CustomerKind.INDIVIDUAL, INDIVIDUAL_LADDER),
    (CustomerKind.CORPORATE, CORPORATE_LADDER),
)
TIER_LABELS = dict(Tier.choices)


def tier_label(code: str) -> str:
    return str(TIER_LABELS.get(code, _("no tier before")))


def move_of(before: str, after: str) -> str:
    """`up`, `down` or `same` within one ladder; `new` when there was no tier on the same ladder."""
    same_ladder = any(before in ladder and after in ladder for _k, ladder in LADDERS)
    if not same_ladder:
        return "new"
    return "up" if RANK[after] > RANK[before] else "down" if RANK[after] < RANK[before] else "same"


@dataclass(frozen=True)
class Cell:
    to: str
    count: int
    share: Decimal | None  # of the row
    move: str


@dataclass
class MatrixRow:
    tier: str
    label: str
    cells: list[Cell]
    total: int


@dataclass
class Matrix:
    """One ladder's from tier (rows, highest first) × to tier (columns) client counts."""

    kind: str
    label: str
    columns: list[tuple[str, str]]
    rows: list[MatrixRow]
    column_totals: list[int]
    total: int
    moves: dict[str, int] = field(default_factory=dict)  # up / down / same / new → clients


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def build_matrices(counts: Mapping[tuple[str, str], int]) -> list[Matrix]:
    """Lay out (from tier, to tier) → clients as one matrix per ladder; a from tier outside the
    ladder (a first month, or a change of kind) gets a row of its own below the ladder's tiers."""
    matrices = []
    for kind, ladder in LADDERS:
        columns = [str(t) for t in reversed(ladder)]
        mine = {(a, b): n for (a, b), n in counts.items() if b in columns and n}
        if not mine:
            continue
        extra = sorted({a for a, _b in mine} - set(columns))
        rows, moves = [], {"up": 0, "down": 0, "same": 0, "new": 0}
        for before in columns + extra:
            total = sum(mine.get((before, after), 0) for after in columns)
            if before in extra and not total:
                continue
            cells = []
            for after in columns:
                n = mine.get((before, after), 0)
                move = move_of(before, after)
                moves[move] += n
                cells.append(Cell(to=after, count=n, share=_share(n, total), move=move))
            rows.append(MatrixRow(tier=before, label=tier_label(before), cells=cells, total=total))
        matrices.append(
            Matrix(
                kind=str(kind),
                label=str(kind.label),
                columns=[(c, tier_label(c)) for c in columns],
                rows=rows,
                column_totals=[sum(mine.get((a, c), 0) for a in columns + extra) for c in columns],
                total=sum(mine.values()),
                moves=moves,
            )
        )
    return matrices


# --- migration -----------------------------------------------------------------------------------

MONTHS_SHOWN = 36


def migration_months(limit: int = MONTHS_SHOWN) -> list[date]:
    """Month ends with tier assignments, newest first: a loose index scan (one index probe per
    month) instead of a DISTINCT over every client's rows."""
    table = TierAssignment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE months(d) AS (
                SELECT MAX(as_of) FROM {table}
                UNION ALL
                SELECT (SELECT MAX(t.as_of) FROM {table} t WHERE t.as_of < months.d) FROM months
                WHERE months.d IS NOT NULL
            ) SELECT d FROM months WHERE d IS NOT NULL LIMIT %s""",  # noqa: S608 - the model's table name; the limit bound
            [limit],
        )
        return [d if isinstance(d, date) else date.fromisoformat(str(d)) for (d,) in cursor.fetchall()]


@dataclass
class Migration:
    as_of: date
    matrices: list[Matrix]
    clients: int
    upgrades: int
    downgrades: int
    unchanged: int
    new: int
    watch: int


def migration(user: Viewer, *, as_of: date, unit: OrgUnit | None = None) -> Migration:
    """Where the clients in scope stood at the previous month end and at `as_of` (one GROUP BY)."""
    rows = TierAssignment.objects.filter(as_of=as_of)
    clients = scoped_clients(user, unit=unit)
    if _filters_anything(clients):
        rows = rows.filter(customer__in=clients.values("pk"))
    counts: dict[tuple[str, str], int] = {}
    watch = 0
    for before, after, state, n in (
        rows.order_by().values_list("previous_tier", "tier", "state").annotate(n=Count("id"))
    ):
        counts[(before, after)] = counts.get((before, after), 0) + n
        if state == TierState.WATCH:
            watch += n
    matrices = build_matrices(counts)
    total = {move: sum(m.moves[move] for m in matrices) for move in ("up", "down", "same", "new")}
    return Migration(
        as_of=as_of,
        matrices=matrices,
        clients=sum(counts.values()),
        upgrades=total["up"],
        downgrades=total["down"],
        unchanged=total["same"],
        new=total["new"],
        watch=watch,
    )


# --- Pareto --------------------------------------------------------------------------------------

TOP_PERCENTS = (1, 5, 10, 20)
LORENZ_STEPS = 50  # points on the curve (fewer when fewer clients: then every client is a point)
SHARE = Decimal("0.000001")
MEASURES = (
    ("aum", _("AUM (monthly average)")),
    ("contribution", _("Contribution, 12 months")),
    ("value", _("Value score")),
)


@dataclass(frozen=True)
class TopShare:
    percent: int
    clients: int
    share: Decimal


@dataclass
class Concentration:
    """How one measure is spread over the clients: the share the top 1/5/10/20% hold, the Lorenz curve.

    A value below zero counts as zero: the base of every share is the total of the positive values
    (`total`), so no share exceeds 100% and the curve never dips below zero; the clients below zero are
    listed apart (`negatives`, `negative_sum`)."""

    measure: str
    label: str
    clients: int
    total: Decimal  # the sum of the positive values: the base of the shares
    top: list[TopShare]
    lorenz: list[tuple[Decimal, Decimal]]  # (share of clients, share of the measure), poorest first
    chart: LorenzChart | None
    negatives: int = 0  # clients whose value is below zero (counted as zero in the shares)
    negative_sum: Decimal = Decimal(0)  # their values' sum (negative)

    @property
    def top_20(self) -> Decimal | None:
        return next((t.share for t in self.top if t.percent == 20), None)


@dataclass(frozen=True)
class Population:
    """Which clients in scope the concentration is over, and how many were left out and why. By default
    the active clients with a positive AUM; `all_balances` includes the clients whose AUM is zero or
    negative (it counts as zero), `all_statuses` the dormant and closed clients."""

    all_balances: bool
    all_statuses: bool
    shown: int
    without_positive_aum: int  # left out: zero or negative AUM
    not_active: int  # left out: dormant or closed

    @property
    def left_out(self) -> int:
        return self.without_positive_aum + self.not_active


@dataclass
class Pareto:
    value_as_of: date | None  # the month end of the value scores used (None before the first run)
    measures: list[Concentration]
    population: Population | None = None


def top_count(clients: int, percent: int) -> int:
    """How many clients make the top `percent`%: ⌊clients × percent / 100⌋, the largest whole number of
    clients that is not more than `percent`% of them (the convention of the public reference figures,
    docs/valuation.md), and at least one, so that a small book still has a top 1%."""
    return max(1, clients * percent // 100) if clients else 0


def _top_count_sql(percent: int) -> str:
    """`top_count` in SQL over the window's client count `n` (an integer: integer division)."""
    return f"CASE WHEN n * {percent} / 100 < 1 THEN 1 ELSE n * {percent} / 100 END"


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def population(
    clients: QuerySet[Customer], *, all_balances: bool = False, all_statuses: bool = False
) -> tuple[QuerySet[Customer], Population]:
    """The clients the concentration is over (see `Population`) and the count of those left out (one
    aggregate query)."""
    positive, active = Q(position__aum__gt=0), Q(status=CustomerStatus.ACTIVE)
    counts = clients.order_by().aggregate(
        n=Count("id"),
        not_active=Count("id", filter=~active),
        without_positive=Count("id", filter=~positive if all_statuses else active & ~positive),
    )
    kept = clients
    if not all_statuses:
        kept = kept.filter(active)
    if not all_balances:
        kept = kept.filter(positive)
    not_active = 0 if all_statuses else counts["not_active"]
    without_positive = 0 if all_balances else counts["without_positive"]
    return kept, Population(
        all_balances=all_balances,
        all_statuses=all_statuses,
        shown=counts["n"] - not_active - without_positive,
        without_positive_aum=without_positive,
        not_active=not_active,
    )


def _measure_query(clients: QuerySet[Customer], measure: str, as_of: date | None) -> QuerySet:
    money = DecimalField(max_digits=18, decimal_places=2)
    if measure == "aum":
        valued = clients.annotate(v=Coalesce(F("position__aum"), Value(Decimal(0)), output_field=money))
    elif as_of is None:
        valued = clients.annotate(v=Value(Decimal(0), output_field=money))
    else:
        column = "contribution_12m" if measure == "contribution" else "value_score"
        valued = clients.annotate(
            latest=FilteredRelation("value_scores", condition=Q(value_scores__as_of=as_of))
        ).annotate(v=Coalesce(F(f"latest__{column}"), Value(Decimal(0)), output_field=money))
    return valued.order_by().values_list("id", "v")


def concentration(clients: QuerySet[Customer], measure: str, as_of: date | None = None) -> Concentration:
    """One window query: every client ranked by the measure (ascending), the running sum of the values
    above zero, the count, the positive total and the clients below zero; only the rows on the Lorenz
    curve's steps and at the top-percent cut-offs come back."""
    label = str(dict(MEASURES)[measure])
    base = _measure_query(clients, measure, as_of)
    if base.query.is_empty():
        return Concentration(measure, label, 0, Decimal(0), [], [], None)
    sql, params = base.query.sql_with_params()
    cuts = " OR ".join(f"rn = n - ({_top_count_sql(p)})" for p in TOP_PERCENTS)
    positive = "CASE WHEN b.v > 0 THEN b.v ELSE 0 END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT rn, cum, n, total, negatives, negative_sum FROM (
                SELECT ROW_NUMBER() OVER (ORDER BY b.v, b.id) AS rn,
                    SUM({positive}) OVER (ORDER BY b.v, b.id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
                    COUNT(*) OVER () AS n,
                    SUM({positive}) OVER () AS total,
                    SUM(CASE WHEN b.v < 0 THEN 1 ELSE 0 END) OVER () AS negatives,
                    SUM(CASE WHEN b.v < 0 THEN b.v ELSE 0 END) OVER () AS negative_sum
                FROM ({sql}) b
            ) r
            WHERE (rn * {LORENZ_STEPS}) / n <> ((rn - 1) * {LORENZ_STEPS}) / n OR {cuts}
            ORDER BY rn""",  # noqa: S608 - wraps the ORM's compiled query (its values bound); our integer constants
            params,
        )
        rows = cursor.fetchall()
    if not rows:
        return Concentration(measure, label, 0, Decimal(0), [], [], None)
    n, total = int(rows[0][2]), _dec(rows[0][3])
    negatives, negative_sum = int(rows[0][4] or 0), _dec(rows[0][5])
    running = {int(rn): _dec(cum) for rn, cum, *_rest in rows}
    if total <= 0:  # nobody above zero: no share to give out
        return Concentration(measure, label, n, total, [], [], None, negatives, negative_sum)
    top = []
    for percent in TOP_PERCENTS:
        k = top_count(n, percent)
        below = running.get(n - k, Decimal(0))
        top.append(TopShare(percent=percent, clients=k, share=((total - below) / total).quantize(SHARE)))
    steps = [rn for rn in sorted(running) if (rn * LORENZ_STEPS) // n != ((rn - 1) * LORENZ_STEPS) // n]
    lorenz = [(Decimal(0), Decimal(0))] + [
        ((Decimal(rn) / n).quantize(SHARE), (running[rn] / total).quantize(SHARE)) for rn in steps
    ]
    marks = [(1 - float(k.clients) / n, 1 - float(k.share), f"{k.percent}%") for k in top if k.percent == 20]
    chart = lorenz_chart([(float(x), float(y)) for x, y in lorenz], marks=marks)
    return Concentration(measure, label, n, total, top, lorenz, chart, negatives, negative_sum)


def latest_value_month() -> date | None:
    return ValueScore.objects.aggregate(latest=Max("as_of"))["latest"]


def pareto(
    user: Viewer,
    *,
    unit: OrgUnit | None = None,
    segment: str = "",
    all_balances: bool = False,
    all_statuses: bool = False,
) -> Pareto:
    """The concentration of AUM (the position's `aum`, the monthly average), 12-month contribution and
    value score (both from the latest month-end run) over the clients in scope: by default the active
    ones with a positive AUM (`population`)."""
    clients, counted = population(
        scoped_clients(user, unit=unit, segment=segment), all_balances=all_balances, all_statuses=all_statuses
    )
    as_of = latest_value_month()
    return Pareto(
        value_as_of=as_of,
        measures=[concentration(clients, measure, as_of) for measure, _l in MEASURES],
        population=counted,
    )


def counts_by(pairs: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    """(from, to, n) rows as the mapping `build_matrices` takes."""
    out: dict[tuple[str, str], int] = {}
    for before, after, n in pairs:
        out[(before, after)] = out.get((before, after), 0) + int(n)
    return out
