"""The dashboard's figures, cached per scope for `TTL` seconds.

Computing them scans every client in scope (two GROUP BY queries: seconds at head office over
1,000,000 clients on a busy machine), so the result is kept in Django's cache under the scope's key
(role, unit, team, the unit asked for) and a generation number that every capacity write bumps
(applying suggestions, publishing norms): the screen shows the figures as of `computed_at`, at most
`TTL` seconds old, and a write made here is seen at once. Other writers (intake, pipeline, the
assignment services) change books at most once a day or one client at a time; `?fresh=1` recomputes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from keyclient.audit.actors import Staff
from keyclient.capacity.norms import published_norms
from keyclient.capacity.queries import Loads, TierCoverage, key_coverage, norm_loads
from keyclient.capacity.scope import CoverageScope

TTL = 300
GENERATION = "capacity:generation"


@dataclass(frozen=True)
class Figures:
    version: int | None
    loads: Loads
    tiers: list[TierCoverage]
    computed_at: datetime


def bump() -> None:
    """Every cached figure is stale from now (call after a capacity write commits)."""
    try:
        cache.incr(GENERATION)
    except ValueError:
        cache.set(GENERATION, 1, None)


def figures(user: Staff, scope: CoverageScope, *, fresh: bool = False) -> Figures:
    version, norms = published_norms()
    generation = cache.get_or_set(GENERATION, 0, None)
    unit = scope.unit.pk if scope.unit else ""
    key = f"capacity:figures:{generation}:{version}:{user.role}:{user.org_unit_id}:{user.team_id}:{unit}"
    found = None if fresh else cache.get(key)
    if found is None:
        found = Figures(
            version, norm_loads(scope.clients, scope.rms, norms), key_coverage(scope.clients), timezone.now()
        )
        cache.set(key, found, TTL)
    return found
