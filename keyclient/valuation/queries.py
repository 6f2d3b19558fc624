"""Reads of the valuation for screens and the API: a client's value breakdown and tier standing, the
client's tier requests and prominence facts, and the pending requests an approver may decide.

Each function runs a fixed number of queries whatever the history length (the 360 panel pins them).
Nothing here decides anything: the month-end run and the services do; this only puts their results
side by side (this month against the previous one, the indicator scores against the policy weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from keyclient.customers.choices import Tier, rule_kind
from keyclient.customers.scope import scoped_to_customers
from keyclient.valuation.choices import OverrideKind, OverrideStatus, TierState
from keyclient.valuation.models import ProminenceFact, TierAssignment, TierOverride, TierPolicy, ValueScore
from keyclient.valuation.models.override import OPEN
from keyclient.valuation.policy import tier_rule

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer

HISTORY_MONTHS = 12
RECENT_REQUESTS = 5
CENT = Decimal("0.01")
# The four indicators in display order; risk counts against the value score.
INDICATORS = ("contribution", "risk", "prominence", "relatedness")
BAR_KEYS = {
    "individual": ("min_aum",),
    "corporate": ("min_contribution", "min_deposit", "min_loan"),
}


def _tier_label(code: str) -> str:
    return str(Tier(code).label) if code in Tier.values else code


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


@dataclass(frozen=True)
class IndicatorPart:
    """One indicator of the value score: its 0–100 score, its weight and what it adds to the score."""

    key: str
    score: Decimal
    weight: Decimal  # as set in the policy
    share: Decimal  # weight ÷ (contribution + prominence + relatedness weights), negative for risk
    part: Decimal  # share × score: the points this indicator adds to (or, for risk, takes from) the score
    previous_score: Decimal | None = None
    previous_part: Decimal | None = None

    @property
    def moved(self) -> Decimal | None:
        """How much this indicator moved the value score since the previous month end."""
        return None if self.previous_part is None else self.part - self.previous_part

    @property
    def score_moved(self) -> Decimal | None:
        return None if self.previous_score is None else self.score - self.previous_score


@dataclass
class Standing:
    """Where the client stands in the tier lifecycle now (manual decisions approved since the last
    month end included)."""

    tier: str
    state: str | None  # a TierState value; None before the first month-end run
    qualified_tier: str = ""
    rule_tier: str = ""
    policy_version: int | None = None
    as_of: date | None = None
    basis: Decimal | None = None
    months_below: int = 0
    downgrade_months: int | None = None
    bar: dict[str, Decimal] = field(default_factory=dict)  # the bars of the tier the rules hold

    @property
    def state_label(self) -> str:
        return str(TierState(self.state).label) if self.state else ""

    @property
    def tier_label(self) -> str:
        return _tier_label(self.tier)

    @property
    def qualified_label(self) -> str:
        return _tier_label(self.qualified_tier)

    @property
    def rule_label(self) -> str:
        return _tier_label(self.rule_tier)


@dataclass
class ValueBreakdown:
    latest: ValueScore | None
    previous: ValueScore | None
    parts: list[IndicatorPart]
    standing: Standing
    history: list[TierAssignment]  # newest first; each with `value_score` (None when missing)
    weights_total: Decimal | None = None

    @property
    def value_moved(self) -> Decimal | None:
        if self.latest is None or self.previous is None:
            return None
        return self.latest.value_score - self.previous.value_score

    @property
    def parts_total(self) -> Decimal:
        return sum((p.part for p in self.parts), Decimal(0))

    @property
    def points(self) -> Decimal:
        """The weighted parts within 0–100: what the value score ranks (docs/valuation.md)."""
        return min(Decimal(100), max(Decimal(0), self.parts_total))

    @property
    def clamped(self) -> bool:
        """The weighted parts add up to less than 0 or more than 100: the score is kept within 0–100."""
        return bool(self.parts) and not Decimal(0) <= self.parts_total <= Decimal(100)


def _parts(latest: ValueScore, previous: ValueScore | None, rules: dict[int, dict]) -> list[IndicatorPart]:
    def split(row: ValueScore) -> dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]:
        weights = rules[row.policy_version]["score"]["weights"]
        total = sum(_dec(weights[k]) for k in ("contribution", "prominence", "relatedness"))
        out = {}
        for key in INDICATORS:
            weight = _dec(weights[key])
            share = (weight / total) * (-1 if key == "risk" else 1)
            score = getattr(row, f"{key}_score")
            part = (share * score).quantize(CENT, rounding=ROUND_HALF_UP)
            part = part.copy_abs() if part.is_zero() else part  # no "-0.00" for a risk of 0
            out[key] = (score, weight, share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), part)
        return out

    now = split(latest)
    before = split(previous) if previous is not None and previous.policy_version in rules else {}
    return [
        IndicatorPart(
            key=key,
            score=now[key][0],
            weight=now[key][1],
            share=now[key][2],
            part=now[key][3],
            previous_score=before[key][0] if before else None,
            previous_part=before[key][3] if before else None,
        )
        for key in INDICATORS
    ]


def _bar(rules: dict, kind: str, tier: str) -> tuple[dict[str, Decimal], int | None]:
    rule = tier_rule(rules, tier) if tier else None
    if rule is None:
        return {}, None
    bar = {key: _dec(rule[key]) for key in BAR_KEYS[kind] if key in rule}
    if rule.get("min_value_score"):
        bar["min_value_score"] = _dec(rule["min_value_score"])
    return bar, int(rule.get("downgrade_months", 3))


def current_state(assignment: TierAssignment | None, open_request: TierOverride | None) -> str | None:
    """The lifecycle state now: an approved manual decision holds from its approval on; otherwise the
    latest month-end run's rule state (watch while months below the bar are counted)."""
    if open_request is not None and open_request.status == OverrideStatus.APPROVED:
        return TierState.OVERRIDE if open_request.kind == OverrideKind.OVERRIDE else TierState.DISQUALIFIED
    if assignment is None:
        return None
    return TierState.WATCH if assignment.months_below > 0 else TierState.ACTIVE


def value_breakdown(customer: Any, open_request: TierOverride | None = None) -> ValueBreakdown:
    """The client's value score split by indicator (against the previous month end), tier standing
    and the last 12 month ends. Three queries (two before the first month-end run)."""
    scores = list(ValueScore.objects.filter(customer=customer).order_by("-as_of")[:HISTORY_MONTHS])
    history = list(TierAssignment.objects.filter(customer=customer).order_by("-as_of")[:HISTORY_MONTHS])
    by_month = {s.as_of: s for s in scores}
    for row in history:
        score = by_month.get(row.as_of)
        row.value_score = score.value_score if score else None  # type: ignore[attr-defined]
    latest = scores[0] if scores else None
    previous = scores[1] if len(scores) > 1 else None
    assignment = history[0] if history else None
    versions = {r.policy_version for r in (latest, previous, assignment) if r is not None}
    rules = (
        dict(TierPolicy.objects.filter(version__in=versions).values_list("version", "rules"))
        if versions
        else {}
    )
    standing = Standing(tier=customer.tier, state=current_state(assignment, open_request))
    if assignment is not None:
        standing.qualified_tier, standing.rule_tier = assignment.qualified_tier, assignment.rule_tier
        standing.policy_version, standing.as_of = assignment.policy_version, assignment.as_of
        standing.basis, standing.months_below = assignment.basis, assignment.months_below
        if assignment.policy_version in rules:
            standing.bar, standing.downgrade_months = _bar(
                rules[assignment.policy_version], rule_kind(customer.kind), assignment.rule_tier
            )
    parts: list[IndicatorPart] = []
    total = None
    if latest is not None and latest.policy_version in rules:
        parts = _parts(latest, previous, rules)
        weights = rules[latest.policy_version]["score"]["weights"]
        total = sum(_dec(weights[k]) for k in ("contribution", "prominence", "relatedness"))
    return ValueBreakdown(
        latest=latest, previous=previous, parts=parts, standing=standing, history=history, weights_total=total
    )


def client_requests(customer: Any, limit: int = RECENT_REQUESTS) -> list[TierOverride]:
    """The client's latest tier requests, newest first. A client has at most one open request, and no
    new one can be made while it is open, so an open request is always the first. One query."""
    return list(
        TierOverride.objects.filter(customer=customer)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-id")[:limit]
    )


def open_request_of(requests: list[TierOverride]) -> TierOverride | None:
    return requests[0] if requests and requests[0].status in OPEN else None


def active_facts(customer: Any) -> list[ProminenceFact]:
    """The client's prominence facts that score (not withdrawn), newest first. One query."""
    return list(
        ProminenceFact.objects.filter(customer=customer, withdrawn_at__isnull=True)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-id")
    )


def requests_visible_to(user: Viewer) -> QuerySet[TierOverride]:
    """Tier requests of the clients in `user`'s scope (the one door: `scoped_to_customers`)."""
    return scoped_to_customers(TierOverride.objects.all(), user).select_related(
        "customer", "requested_by", "decided_by"
    )


def pending_requests(user: Viewer) -> QuerySet[TierOverride]:
    """Requests awaiting a decision on clients in `user`'s scope, the longest waiting first."""
    return requests_visible_to(user).filter(status=OverrideStatus.PENDING).order_by("requested_at", "id")
