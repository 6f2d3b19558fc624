"""The rules a `CapacityNorms` version holds, their defaults and validation, and the one read.

A norm caps the clients of some tiers that one RM of a grade serves: `{"grade": "senior", "tiers":
["private_banking", "diamond"], "max_clients": 30, "min_clients": 10}`. A (grade, tier) pair is in at
most one norm; a tier no norm of an RM's grade names is one that grade does not serve (suggestions
never send such a client there). An RM is overloaded when any norm's count is above its maximum,
underloaded when every norm of the grade is below its minimum.
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext as _

from keyclient.capacity.choices import NormsStatus
from keyclient.capacity.models import CapacityNorms
from keyclient.capacity.solver import Norm
from keyclient.customers.choices import Tier
from keyclient.org.choices import StaffGrade

PB, DIAMOND, PLATINUM, GOLD = "private_banking", "diamond", "platinum", "gold"
STRATEGIC = ["strategic_head_office", "strategic_branch", "strategic_sub_branch"]


def _norm(grade: str, tiers: list[str], most: int, least: int) -> dict[str, Any]:
    return {"grade": grade, "tiers": tiers, "max_clients": most, "min_clients": least}


DEFAULT_NORMS: list[dict[str, Any]] = [
    _norm("principal", [PB, DIAMOND], 40, 15),
    _norm("principal", STRATEGIC, 20, 5),
    _norm("senior", [PB, DIAMOND], 30, 10),
    _norm("senior", [PLATINUM, GOLD], 300, 100),
    _norm("senior", [*STRATEGIC[1:], "corporate_general"], 40, 10),
    _norm("intermediate", [PLATINUM, GOLD], 300, 100),
    _norm("intermediate", [STRATEGIC[2], "corporate_general"], 60, 15),
    _norm("junior", [GOLD], 200, 50),
    _norm("junior", ["corporate_general"], 80, 20),
]


def default_rules() -> dict[str, Any]:
    return {"norms": copy.deepcopy(DEFAULT_NORMS)}


class NormsError(ValueError):
    """The norms are not valid; `errors` names each wrong value."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def validate(rules: Any) -> list[Norm]:
    """The norms of `rules`, or `NormsError` naming every wrong value."""
    errors: list[str] = []
    rows = rules.get("norms") if isinstance(rules, dict) else None
    if not isinstance(rows, list):
        raise NormsError([_("The rules must hold a list “norms”.")])
    grades, tiers = set(StaffGrade.values), set(Tier.values)
    seen: dict[tuple[str, str], int] = {}
    norms: list[Norm] = []
    for n, row in enumerate(rows, start=1):
        where = _("norm %(n)s") % {"n": n}
        if not isinstance(row, dict):
            errors.append(_("%(where)s must be an object") % {"where": where})
            continue
        grade, row_tiers = row.get("grade"), row.get("tiers")
        most, least = row.get("max_clients"), row.get("min_clients", 0)
        if grade not in grades:
            errors.append(_("%(where)s: unknown grade %(value)r") % {"where": where, "value": grade})
        if not isinstance(row_tiers, list) or not row_tiers or any(t not in tiers for t in row_tiers):
            errors.append(
                _("%(where)s: tiers must be known tiers, not %(value)r")
                % {"where": where, "value": row_tiers}
            )
            row_tiers = []
        for t in row_tiers:
            if (grade, t) in seen:
                errors.append(
                    _("%(where)s: grade %(grade)s and tier %(tier)s are already in norm %(other)s")
                    % {"where": where, "grade": grade, "tier": t, "other": seen[(grade, t)]}
                )
            seen[(grade, t)] = n
        if not _count(most) or most < 1:
            errors.append(
                _("%(where)s: the maximum must be a whole number ≥ 1, not %(value)r")
                % {"where": where, "value": most}
            )
        elif not _count(least) or least > most:
            errors.append(
                _("%(where)s: the minimum must be a whole number between 0 and the maximum, not %(value)r")
                % {"where": where, "value": least}
            )
        if not errors:
            norms.append(Norm(str(grade), tuple(row_tiers), int(most), int(least)))
    if errors:
        raise NormsError(errors)
    return norms


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def published_norms() -> tuple[int | None, list[Norm]]:
    """The published version and its norms (one query); the defaults before any is published."""
    row = CapacityNorms.objects.filter(status=NormsStatus.PUBLISHED).values_list("version", "rules").first()
    if row is None:
        return None, validate(default_rules())
    return row[0], validate(row[1])
