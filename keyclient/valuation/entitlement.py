"""What a client is entitled to and where their service falls short today.

`service_level_for(client)` is the one read the coverage, engagement and service screens use: the
level of the published policy for the client's tier, or for the tier of a head-office grant in force.
`service_levels_for(clients)` does the same for a queryset of clients in three queries whatever its
size, and `with_service_tier(clients)` annotates the tier whose level applies inside SQL, for
aggregates. None of them scopes: the caller passes clients it reached through the data-scope door.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from keyclient.customers.choices import TeamRole
from keyclient.customers.models import Customer, ServiceTeamMember
from keyclient.valuation.choices import PolicyStatus
from keyclient.valuation.models import ServiceLevelGrant, TierPolicy
from keyclient.valuation.service_levels import (
    TEAM_ROLES,
    ServiceLevel,
    default_service_levels,
    levels_of,
    tier_label,
)


@dataclass(frozen=True)
class Grant:
    """A head-office grant in force: the client is served at `tier`'s level."""

    id: int
    tier: str
    reason: str
    granted_by: str
    granted_at: datetime


@dataclass(frozen=True)
class ResolvedServiceLevel:
    customer_id: int
    tier: str  # the client's own tier
    level: ServiceLevel  # the level that applies: of `tier`, or of the grant's tier
    policy_version: int | None  # None before any policy is published (the defaults apply)
    grant: Grant | None

    @property
    def source(self) -> str:
        return "grant" if self.grant is not None else "tier"


@dataclass(frozen=True)
class Shortfall:
    """Where today's service falls short of the level: a stable `code` and the sentence shown."""

    code: str
    text: str


def published_levels() -> tuple[int | None, dict[str, ServiceLevel]]:
    """The published policy's version and levels (one query); the defaults before any is published."""
    row = TierPolicy.objects.filter(status=PolicyStatus.PUBLISHED).values_list("version", "rules").first()
    if row is None:
        return None, levels_of({"service_levels": default_service_levels()})
    return row[0], levels_of(row[1])


def _open_grants(customers: QuerySet[Customer]) -> dict[int, Grant]:
    rows = ServiceLevelGrant.objects.filter(
        ended_at__isnull=True, customer__in=customers.order_by().values("pk")
    ).values_list("id", "customer_id", "tier", "reason", "granted_by__display_name", "granted_at")
    return {
        c: Grant(id=i, tier=t, reason=r, granted_by=by or "", granted_at=at) for i, c, t, r, by, at in rows
    }


def _resolved(
    pk: int, tier: str, version: int | None, levels: dict[str, ServiceLevel], grants: dict[int, Grant]
) -> ResolvedServiceLevel:
    grant = grants.get(pk)
    level = levels[grant.tier if grant is not None else tier]
    return ResolvedServiceLevel(customer_id=pk, tier=tier, level=level, policy_version=version, grant=grant)


def service_levels_for(customers: QuerySet[Customer]) -> dict[int, ResolvedServiceLevel]:
    """The resolved level of every client of `customers`, by id (three queries in all)."""
    version, levels = published_levels()
    grants = _open_grants(customers)
    rows = customers.order_by().values_list("pk", "tier")
    return {pk: _resolved(pk, tier, version, levels, grants) for pk, tier in rows}


def service_level_for(customer: Customer) -> ResolvedServiceLevel:
    """The level `customer` is entitled to now (policy version, tier, grant)."""
    return service_levels_for(Customer.objects.filter(pk=customer.pk))[customer.pk]


def with_service_tier(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """`customers` annotated with `service_tier`: the tier whose level applies (a grant's, else the
    client's own), computed in SQL so that coverage can count and filter without loading clients."""
    # A LEFT JOIN on the open grant (at most one per client: `service_level_grant_one_open`), not a
    # subquery per client: coverage counts a million clients with it.
    open_grant = FilteredRelation(
        "service_level_grants", condition=Q(service_level_grants__ended_at__isnull=True)
    )
    return customers.annotate(open_service_grant=open_grant).annotate(
        service_tier=Coalesce(F("open_service_grant__tier"), F("tier"))
    )


def with_shortfalls(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """`customers` annotated in SQL with the shortfalls of `entitlements_for` as booleans, for counts
    and filters over many clients (coverage): `service_tier`, `short_rm`, `short_team`, `short_roles`
    (a role the level asks for is missing from a team that exists), `short_sponsor`, `short_any`."""
    _version, levels = published_levels()

    def tiers(asks: Callable[[ServiceLevel], bool]) -> Q:
        return Q(service_tier__in=[t for t, level in levels.items() if asks(level)])

    team = ServiceTeamMember.objects.filter(customer=OuterRef("pk"), member__is_active=True)

    def has(role: str | None = None) -> Q:
        return Q(Exists(team if role is None else team.filter(team_role=role)))

    def asks_role(role: str) -> Q:
        return Q(
            service_tier__in=[t for t, lv in levels.items() if lv.service_team and role in lv.team_roles]
        )

    missing_role = Q(pk__in=[])
    for role in TEAM_ROLES:
        missing_role |= asks_role(role) & ~has(role)

    def flag(condition: Q) -> Case:
        return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())

    short_rm = tiers(lambda lv: lv.dedicated_rm) & ~Q(primary_rm__is_active=True)
    short_team = tiers(lambda lv: lv.service_team) & ~has()
    short_roles = has() & missing_role
    short_sponsor = tiers(lambda lv: lv.senior_sponsor) & ~has(TeamRole.SENIOR_SPONSOR)
    return with_service_tier(customers).annotate(
        short_rm=flag(short_rm),
        short_team=flag(short_team),
        short_roles=flag(short_roles),
        short_sponsor=flag(short_sponsor),
        short_any=flag(short_rm | short_team | short_roles | short_sponsor),
    )


def entitlements_for(
    customers: QuerySet[Customer],
) -> dict[int, tuple[ResolvedServiceLevel, list[Shortfall]]]:
    """Per client of `customers`, the resolved level and where the people serving them fall short of
    it (four queries in all).

    Checked today: the dedicated RM (an active primary RM), the service team, each team role the level
    asks for, and the senior sponsor (active staff only). Contact cadence waits for recorded contacts
    (the engagement issue)."""
    version, levels = published_levels()
    grants = _open_grants(customers)
    rows = customers.order_by().values_list("pk", "tier", "primary_rm__is_active")
    roles: dict[int, set[str]] = defaultdict(set)
    members = ServiceTeamMember.objects.filter(
        customer__in=customers.order_by().values("pk"), member__is_active=True
    ).values_list("customer_id", "team_role")
    for pk, role in members:
        roles[pk].add(role)
    return {
        pk: (
            r := _resolved(pk, tier, version, levels, grants),
            _gaps(r.level, bool(rm_active), roles.get(pk, set())),
        )
        for pk, tier, rm_active in rows
    }


def _gaps(level: ServiceLevel, rm_active: bool, found: set[str]) -> list[Shortfall]:
    gaps = []
    if level.dedicated_rm and not rm_active:
        gaps.append(Shortfall("no_rm", _("No dedicated relationship manager")))
    if level.service_team and not found:
        text = _("%(level)s without a service team") % {"level": tier_label(level.tier)}
        gaps.append(Shortfall("no_team", text))
    elif level.service_team:
        role_labels = dict(TeamRole.choices)
        for role in level.team_roles:
            if role not in found:
                text = _("Service team without the role “%(role)s”") % {"role": role_labels[role]}
                gaps.append(Shortfall(f"no_{role}", text))
    if level.senior_sponsor and TeamRole.SENIOR_SPONSOR not in found:
        gaps.append(Shortfall("no_sponsor", _("No senior sponsor in the service team")))
    return gaps


def shortfalls_for(customers: QuerySet[Customer]) -> dict[int, list[Shortfall]]:
    """Per client of `customers`, where today's service falls short of the level (four queries)."""
    return {pk: gaps for pk, (_r, gaps) in entitlements_for(customers).items()}


def entitlement_data(resolved: ResolvedServiceLevel, shortfalls: list[Shortfall]) -> dict[str, Any]:
    """The level as plain data (the API's body, and what the client page lays out)."""
    level, grant = resolved.level, resolved.grant
    return {
        "tier": resolved.tier,
        "level_tier": level.tier,
        "policy_version": resolved.policy_version,
        "source": resolved.source,
        "grant": None
        if grant is None
        else {
            "id": grant.id,
            "tier": grant.tier,
            "reason": grant.reason,
            "granted_by": grant.granted_by,
            "granted_at": grant.granted_at,
        },
        "dedicated_rm": level.dedicated_rm,
        "service_team": level.service_team,
        "team_roles": list(level.team_roles),
        "senior_sponsor": level.senior_sponsor,
        "contact_every_months": level.contact_every_months,
        "review_every_months": level.review_every_months,
        "needs_review_every_months": level.needs_review_every_months,
        "response_hours": level.response_hours,
        "benefits": list(level.benefits),
        "shortfalls": [{"code": s.code, "text": s.text} for s in shortfalls],
    }
