"""The rules a `TierPolicy` version holds, their defaults, and their validation.

Rules are a JSON document so that head office can change thresholds and weights without a release;
`validate` names every wrong value before anything is saved. The meaning of each rule is in
docs/valuation.md; the month-end run (`valuation.engine`) is the only code that applies them.
"""

from __future__ import annotations

import copy
import math
import unicodedata
from typing import Any

from django.utils.translation import gettext as _

from keyclient.customers.choices import TAG_MAX_LENGTH, Tier

# Tiers from lowest to highest within each kind; the rank decides upgrade vs downgrade.
INDIVIDUAL_LADDER = (Tier.MASS, Tier.GOLD, Tier.PLATINUM, Tier.DIAMOND, Tier.PRIVATE_BANKING)
CORPORATE_LADDER = (
    Tier.CORPORATE_GENERAL,
    Tier.STRATEGIC_SUB_BRANCH,
    Tier.STRATEGIC_BRANCH,
    Tier.STRATEGIC_HEAD_OFFICE,
)
RANK = {str(t): n for ladder in (INDIVIDUAL_LADDER, CORPORATE_LADDER) for n, t in enumerate(ladder)}
LOAN_CLASSES = ("正常", "关注", "次级", "可疑", "损失")

DEFAULT_RULES: dict[str, Any] = {
    "individual": {
        # Basis: monthly average daily AUM, each asset class weighted (1.0 = counted in full).
        "asset_weights": {"deposit": 1.0, "investment": 1.0},
        # Highest first. A client qualifies for the first tier whose bars it meets.
        "tiers": [
            {"tier": "private_banking", "min_aum": 10_000_000, "min_value_score": 0, "downgrade_months": 6},
            {"tier": "diamond", "min_aum": 6_000_000, "min_value_score": 0, "downgrade_months": 3},
            {"tier": "platinum", "min_aum": 500_000, "min_value_score": 0, "downgrade_months": 3},
            {"tier": "gold", "min_aum": 50_000, "min_value_score": 0, "downgrade_months": 3},
        ],
    },
    "corporate": {
        # A corporate qualifies when its value score reaches the floor and any one of contribution
        # (12 months), monthly average deposits or monthly average loans reaches its bar.
        "tiers": [
            {
                "tier": "strategic_head_office", "min_contribution": 5_000_000, "min_deposit": 200_000_000,
                "min_loan": 500_000_000, "min_value_score": 50, "downgrade_months": 6,
            },
            {
                "tier": "strategic_branch", "min_contribution": 1_000_000, "min_deposit": 50_000_000,
                "min_loan": 100_000_000, "min_value_score": 35, "downgrade_months": 3,
            },
            {
                "tier": "strategic_sub_branch", "min_contribution": 200_000, "min_deposit": 10_000_000,
                "min_loan": 20_000_000, "min_value_score": 20, "downgrade_months": 3,
            },
        ],
    },
    "score": {
        # value = (wc·contribution + wp·prominence + wr·relatedness − wk·risk) / (wc + wp + wr), within 0–100
        "weights": {"contribution": 0.5, "prominence": 0.2, "relatedness": 0.3, "risk": 0.3},
        # Money indicators score by their percentile in the bank's own distribution (no amount in a
        # currency: docs/valuation.md); earlier versions' `contribution_full` and `linked_aum_full` are ignored.
        "risk": {
            "loan_class_points": {"正常": 0, "关注": 30, "次级": 60, "可疑": 80, "损失": 100},
            "points_per_30_days_overdue": 10,
            "concentration_above": 0.8,  # share of AUM in the largest holding beyond which it counts
            "concentration_points": 20,
            "flag_points": 25,  # per risk flag (tags listed in `risk_tags`)
            "risk_tags": [],
            "kyc_valid_months": 12,  # risk-tolerance assessment older than this is stale
            "kyc_stale_points": 15,
        },
        "prominence": {
            "kind_points": {
                "public_office": 50, "listed_executive": 40, "industry_leader": 40, "media": 25, "other": 15,
            },
            "tag_points": {"上市公司高管": 40, "上市公司": 40, "专精特新": 20, "高新技术企业": 15, "供应链核心企业": 25},
        },
        "relatedness": {
            "link_count_full": 10,  # links that score 100
            "aum_share": 0.7,  # the rest comes from the number of links
        },
    },
    "clv": {
        "horizon_years": 5,
        "discount_rate": 0.08,
        "base_retention": 0.9,
        "trend_cap": 0.2,  # yearly growth taken from the contribution trend, within ±cap
        "outflow_penalty": 0.5,  # retention × (1 − penalty × share of AUM sent to other banks in 30 days)
    },
}  # fmt: skip


def default_rules() -> dict[str, Any]:
    """The first version's rules, service levels included (declared in `valuation.service_levels`)."""
    from keyclient.valuation.service_levels import SECTION, default_service_levels

    return {**copy.deepcopy(DEFAULT_RULES), SECTION: default_service_levels()}


class PolicyError(ValueError):
    """The rules are not valid; `errors` names each wrong value."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _number(errors: list[str], where: str, value: Any, *, low: float = 0, high: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors.append(_("%(where)s must be a number, not %(value)r") % {"where": where, "value": value})
    elif value < low or (high is not None and value > high):
        bound = f"[{low:g}, {high:g}]" if high is not None else f"≥ {low:g}"
        errors.append(
            _("%(where)s = %(value)s is outside %(bound)s") % {"where": where, "value": value, "bound": bound}
        )


def _names(errors: list[str], where: str, names: Any) -> None:
    """Names a rule is keyed by (tags, kinds of fact, loan classes): text of 1 to TAG_MAX_LENGTH
    characters, no control character, no space at either end (tags are stored trimmed). The month end
    passes them to DuckDB as data, so any other character, quotes included, is fine."""
    for name in names:
        if not isinstance(name, str) or not name.strip():
            problem = _("a name must be text, not %(name)r")
        elif len(name) > TAG_MAX_LENGTH:
            problem = _("the name %(name)r is longer than %(n)s characters")
        elif any(unicodedata.category(c) in {"Cc", "Cs"} for c in name):
            problem = _("the name %(name)r holds a control character")
        elif name != name.strip():
            problem = _("the name %(name)r starts or ends with a space")
        else:
            continue
        shown = name if not isinstance(name, str) or len(name) <= 40 else name[:40] + "…"
        errors.append(f"{where}: " + problem % {"name": shown, "n": TAG_MAX_LENGTH})


def validate(rules: Any) -> dict[str, Any]:
    """Return `rules` if valid, else raise PolicyError naming every wrong value."""
    errors: list[str] = []
    if not isinstance(rules, dict):
        raise PolicyError([_("the rules must be a JSON object")])
    for kind, ladder, keys in (
        ("individual", INDIVIDUAL_LADDER, ("min_aum",)),
        ("corporate", CORPORATE_LADDER, ("min_contribution", "min_deposit", "min_loan")),
    ):
        tiers = rules.get(kind, {}).get("tiers")
        if not isinstance(tiers, list) or not tiers:
            errors.append(_("%(kind)s.tiers must list at least one tier") % {"kind": kind})
            continue
        allowed = {str(t) for t in ladder[1:]}
        names = [t.get("tier") for t in tiers if isinstance(t, dict)]
        if len(names) != len(tiers) or len(set(names)) != len(names) or not set(names) <= allowed:
            errors.append(
                _("%(kind)s.tiers must name distinct tiers among %(allowed)s")
                % {"kind": kind, "allowed": ", ".join(sorted(allowed))}
            )
            continue
        if [RANK[n] for n in names] != sorted((RANK[n] for n in names), reverse=True):
            errors.append(_("%(kind)s.tiers must be listed from the highest tier down") % {"kind": kind})
        for t in tiers:
            where = f"{kind}.{t['tier']}"
            for key in keys:
                _number(errors, f"{where}.{key}", t.get(key))
            _number(errors, f"{where}.min_value_score", t.get("min_value_score", 0), high=100)
            months = t.get("downgrade_months", 3)
            if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 24:
                errors.append(
                    _("%(where)s.downgrade_months must be a whole number from 1 to 24") % {"where": where}
                )
        if kind == "individual":
            bars = [t.get("min_aum") for t in tiers]
            if all(isinstance(b, int | float) for b in bars) and bars != sorted(bars, reverse=True):
                errors.append(_("individual tiers: a higher tier needs a higher AUM bar"))
    for cls in ("deposit", "investment"):
        _number(
            errors,
            f"individual.asset_weights.{cls}",
            rules.get("individual", {}).get("asset_weights", {}).get(cls),
            high=1,
        )
    score = rules.get("score", {})
    for name in ("contribution", "prominence", "relatedness", "risk"):
        _number(errors, f"score.weights.{name}", score.get("weights", {}).get(name), high=10)
    weights = score.get("weights", {})
    if not errors and weights["contribution"] + weights["prominence"] + weights["relatedness"] <= 0:
        errors.append(_("score.weights: contribution, prominence and relatedness cannot all be 0"))
    risk = score.get("risk", {})
    class_points = risk.get("loan_class_points", {})
    if not isinstance(class_points, dict):
        errors.append(_("score.risk.loan_class_points must map each loan class to points"))
        class_points = {}
    _names(errors, "score.risk.loan_class_points", class_points)
    for cls in LOAN_CLASSES:
        _number(errors, f"score.risk.loan_class_points.{cls}", class_points.get(cls), high=100)
    for key, high in (
        ("points_per_30_days_overdue", 100), ("concentration_above", 1), ("concentration_points", 100),
        ("flag_points", 100), ("kyc_valid_months", 120), ("kyc_stale_points", 100),
    ):  # fmt: skip
        _number(errors, f"score.risk.{key}", risk.get(key), high=high)
    if not isinstance(risk.get("risk_tags", []), list):
        errors.append(_("score.risk.risk_tags must be a list of tag names"))
    else:
        _names(errors, "score.risk.risk_tags", risk.get("risk_tags", []))
    prominence = score.get("prominence", {})
    for key in ("kind_points", "tag_points"):
        if not isinstance(prominence.get(key) or {}, dict):
            errors.append(_("score.prominence.%(key)s must map names to points") % {"key": key})
            continue
        _names(errors, f"score.prominence.{key}", prominence.get(key) or {})
        for name, points in (prominence.get(key) or {}).items():
            _number(errors, f"score.prominence.{key}.{name}", points, high=100)
    related = score.get("relatedness", {})
    _number(errors, "score.relatedness.link_count_full", related.get("link_count_full"), low=1)
    _number(errors, "score.relatedness.aum_share", related.get("aum_share"), high=1)
    clv = rules.get("clv", {})
    _number(errors, "clv.horizon_years", clv.get("horizon_years"), low=1, high=30)
    _number(errors, "clv.discount_rate", clv.get("discount_rate"), high=1)
    _number(errors, "clv.base_retention", clv.get("base_retention"), high=1)
    _number(errors, "clv.trend_cap", clv.get("trend_cap"), high=1)
    _number(errors, "clv.outflow_penalty", clv.get("outflow_penalty"), high=1)
    if errors:
        raise PolicyError(errors)
    return rules


def tier_rule(rules: dict[str, Any], tier: str) -> dict[str, Any] | None:
    for kind in ("individual", "corporate"):
        for t in rules[kind]["tiers"]:
            if t["tier"] == tier:
                return t
    return None
