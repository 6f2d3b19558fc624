"""Service levels per tier (服务等级): what a tier entitles a client to, declared in the tier policy.

A policy version holds them under `rules["service_levels"]`, one entry per tier, so they are drafted,
tried and published with the tier bars and a published version never changes. A version published
before service levels existed has no entry: it reads as `DEFAULT_SERVICE_LEVELS`. The meaning of each
field and the demo defaults are in docs/service-levels.md; `valuation.entitlement` resolves a client's
level and `valuation.service_grants` writes them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from keyclient.customers.choices import TeamRole, Tier
from keyclient.valuation.choices import Benefit
from keyclient.valuation.policy import CORPORATE_LADDER, INDIVIDUAL_LADDER, PolicyError

SECTION = "service_levels"
TIERS = tuple(str(t) for t in (*INDIVIDUAL_LADDER, *CORPORATE_LADDER))
# Roles a level may ask of the service team; the senior sponsor has a switch of its own.
TEAM_ROLES = tuple(str(r) for r in TeamRole if r != TeamRole.SENIOR_SPONSOR)
# field: (lowest, highest); 0 months means "none asked".
MONTHS = {
    "contact_every_months": (0, 12),
    "review_every_months": (0, 24),
    "needs_review_every_months": (0, 36),
}
RESPONSE_HOURS = (1, 168)
SWITCHES = ("dedicated_rm", "service_team", "senior_sponsor")


def _level(
    rm: bool, team: bool, roles: list[str], sponsor: bool, contact: int, review: int, needs: int, hours: int,
    benefits: list[str],
) -> dict[str, Any]:  # fmt: skip
    return {
        "dedicated_rm": rm, "service_team": team, "team_roles": roles, "senior_sponsor": sponsor,
        "contact_every_months": contact, "review_every_months": review, "needs_review_every_months": needs,
        "response_hours": hours, "benefits": benefits,
    }  # fmt: skip


ALL_BENEFITS = [str(b) for b in Benefit]
DEFAULT_SERVICE_LEVELS: dict[str, dict[str, Any]] = {
    # Individuals: mass clients are served by the branch and digital channels.
    "mass": _level(False, False, [], False, 0, 0, 0, 48, []),
    "gold": _level(True, False, [], False, 6, 0, 24, 24, ["fee_waiver"]),
    "platinum": _level(True, False, [], False, 3, 12, 12, 24, ["fee_waiver", "priority_lane"]),
    "diamond": _level(True, True, ["investment_advisor"], False, 1, 6, 12, 8,
                      ["fee_waiver", "priority_lane", "lounge"]),
    # A contact every month and a review each quarter.
    "private_banking": _level(True, True, ["investment_advisor", "legal_tax"], False, 1, 3, 6, 4, ALL_BENEFITS),
    # Corporates: strategic clients have a team with a credit officer; the larger ones a senior sponsor.
    "corporate_general": _level(True, False, [], False, 6, 0, 24, 48, []),
    "strategic_sub_branch": _level(True, True, ["credit_officer"], False, 1, 6, 12, 24, ["priority_lane"]),
    "strategic_branch": _level(True, True, ["credit_officer", "assistant_rm"], True, 1, 3, 12, 8,
                               ["fee_waiver", "priority_lane", "events"]),
    "strategic_head_office": _level(True, True, ["credit_officer", "assistant_rm", "legal_tax"], True, 1, 3, 6, 4,
                                    ALL_BENEFITS),
}  # fmt: skip


def default_service_levels() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(DEFAULT_SERVICE_LEVELS)


@dataclass(frozen=True)
class ServiceLevel:
    """One tier's level, as declared."""

    tier: str
    dedicated_rm: bool
    service_team: bool
    team_roles: tuple[str, ...]
    senior_sponsor: bool
    contact_every_months: int
    review_every_months: int
    needs_review_every_months: int
    response_hours: int
    benefits: tuple[str, ...]

    @classmethod
    def of(cls, tier: str, declared: dict[str, Any]) -> ServiceLevel:
        return cls(
            tier=tier,
            dedicated_rm=declared["dedicated_rm"],
            service_team=declared["service_team"],
            team_roles=tuple(declared["team_roles"]),
            senior_sponsor=declared["senior_sponsor"],
            contact_every_months=declared["contact_every_months"],
            review_every_months=declared["review_every_months"],
            needs_review_every_months=declared["needs_review_every_months"],
            response_hours=declared["response_hours"],
            benefits=tuple(declared["benefits"]),
        )


def declared_levels(rules: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The levels a version's rules declare (the defaults for a version that declares none)."""
    return rules.get(SECTION) or default_service_levels()


def levels_of(rules: dict[str, Any]) -> dict[str, ServiceLevel]:
    return {tier: ServiceLevel.of(tier, declared) for tier, declared in declared_levels(rules).items()}


def validate_levels(levels: Any) -> dict[str, dict[str, Any]]:
    """Return `levels` if valid, else raise `policy.PolicyError` naming every wrong value."""
    if not isinstance(levels, dict):
        raise PolicyError([_("service_levels must map each tier to its level")])
    errors: list[str] = []
    if set(levels) != set(TIERS):
        missing, unknown = sorted(set(TIERS) - set(levels)), sorted(set(levels) - set(TIERS))
        errors.append(
            _("service_levels must declare exactly the tiers %(tiers)s (missing: %(missing)s; unknown: %(unknown)s)")
            % {"tiers": ", ".join(TIERS), "missing": ", ".join(missing) or "—", "unknown": ", ".join(unknown) or "—"}
        )  # fmt: skip
    for tier in TIERS:
        level = levels.get(tier)
        if tier not in levels:
            continue
        where = f"service_levels.{tier}"
        if not isinstance(level, dict):
            errors.append(_("%(where)s must be an object") % {"where": where})
            continue
        for key in SWITCHES:
            if not isinstance(level.get(key), bool):
                errors.append(_("%(where)s.%(key)s must be true or false") % {"where": where, "key": key})
        for key, (low, high) in {**MONTHS, "response_hours": RESPONSE_HOURS}.items():
            value = level.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors.append(
                    _("%(where)s.%(key)s must be a whole number from %(low)s to %(high)s")
                    % {"where": where, "key": key, "low": low, "high": high}
                )
        for key, allowed in (("team_roles", TEAM_ROLES), ("benefits", tuple(str(b) for b in Benefit))):
            value = level.get(key)
            if not isinstance(value, list) or not set(value) <= set(allowed) or len(set(value)) != len(value):
                errors.append(
                    _("%(where)s.%(key)s must list distinct values among %(allowed)s")
                    % {"where": where, "key": key, "allowed": ", ".join(allowed)}
                )
        if level.get("team_roles") and level.get("service_team") is False:
            errors.append(
                _("%(where)s: team roles are asked but no service team is required") % {"where": where}
            )
        if level.get("senior_sponsor") is True and level.get("service_team") is False:
            errors.append(_("%(where)s: a senior sponsor is a member of the service team") % {"where": where})
    if errors:
        raise PolicyError(errors)
    return levels


def tier_label(tier: str) -> str:
    return str(dict(Tier.choices).get(tier, tier))
