"""Forms of the tier screens: the tier policy editor (one field per rule of `valuation.policy`, errors
from `policy.validate` put on the field they name) and the filters of the analytics pages."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from keyclient.core.money import money_label
from keyclient.customers.choices import CustomerKind, Tier
from keyclient.org.models import OrgUnit
from keyclient.security.roles import ScopeKind, scope_kind
from keyclient.valuation.choices import LoanClass, ProminenceKind
from keyclient.valuation.policy import CORPORATE_LADDER, DEFAULT_RULES, INDIVIDUAL_LADDER, PolicyError

if TYPE_CHECKING:
    from keyclient.audit.actors import Viewer

TIER_LABELS = dict(Tier.choices)

# --- the rules, field by field -------------------------------------------------------------------

TIER_KEYS: dict[str, tuple[tuple[str, Any, bool], ...]] = {
    # key, label, whole number
    "individual": (
        ("min_aum", money_label(_("Monthly average AUM at least (%(currency)s)")), False),
        ("min_value_score", _("Value score at least"), False),
        ("downgrade_months", _("Months below the bar before a downgrade"), True),
    ),
    "corporate": (
        ("min_contribution", money_label(_("12-month contribution at least (%(currency)s)")), False),
        ("min_deposit", money_label(_("Monthly average deposits at least (%(currency)s)")), False),
        ("min_loan", money_label(_("Monthly average loans at least (%(currency)s)")), False),
        ("min_value_score", _("Value score at least"), False),
        ("downgrade_months", _("Months below the bar before a downgrade"), True),
    ),
}
LADDER = {"individual": INDIVIDUAL_LADDER, "corporate": CORPORATE_LADDER}
PREFIX = {"individual": "ind", "corporate": "corp"}

ASSET_WEIGHTS = (("deposit", _("Deposits")), ("investment", _("Investments")))
SCORE_WEIGHTS = (
    ("contribution", _("Contribution")),
    ("prominence", _("Prominence")),
    ("relatedness", _("Relatedness")),
    ("risk", _("Risk (counts against)")),
)
RISK = (
    ("points_per_30_days_overdue", _("Points per 30 days overdue"), False),
    ("concentration_above", _("Largest risky holding's share of AUM beyond which it counts"), False),
    ("concentration_points", _("Points for concentration"), False),
    ("flag_points", _("Points per risk flag"), False),
    ("kyc_valid_months", _("Months a risk-tolerance assessment stays valid"), True),
    ("kyc_stale_points", _("Points for a stale assessment"), False),
)
RELATEDNESS = (
    ("link_count_full", _("Links that score 100"), False),
    ("aum_share", _("Share of the score from linked AUM (the rest from the number of links)"), False),
)
CLV = (
    ("horizon_years", _("Horizon (years)"), True),
    ("discount_rate", _("Discount rate"), False),
    ("base_retention", _("Base retention per year"), False),
    ("trend_cap", _("Growth taken from the contribution trend, at most ±"), False),
    ("outflow_penalty", _("Retention penalty for AUM sent to other banks"), False),
)
LOAN_CLASS_NAMES = ("normal", "special_mention", "substandard", "doubtful", "loss")


@dataclass(frozen=True)
class RuleField:
    """One number of the rules: its form field, where it sits in the JSON, the name `validate` gives it."""

    name: str
    path: tuple[str, ...]
    where: str
    label: Any
    whole: bool = False


def _tier_fields(kind: str, tier: str) -> list[RuleField]:
    return [
        RuleField(
            f"{PREFIX[kind]}_{tier}_{key}", (kind, "tiers", tier, key), f"{kind}.{tier}.{key}", label, whole
        )
        for key, label, whole in TIER_KEYS[kind]
    ]


def rule_fields() -> list[RuleField]:
    """Every number the editor shows, tier bars first."""
    out = [
        f
        for kind in ("individual", "corporate")
        for tier in reversed(LADDER[kind][1:])
        for f in _tier_fields(kind, str(tier))
    ]
    out += [
        RuleField(f"asset_{k}", ("individual", "asset_weights", k), f"individual.asset_weights.{k}", label)
        for k, label in ASSET_WEIGHTS
    ]
    out += [
        RuleField(f"weight_{k}", ("score", "weights", k), f"score.weights.{k}", label)
        for k, label in SCORE_WEIGHTS
    ]
    out += [
        RuleField(
            f"loan_{name}",
            ("score", "risk", "loan_class_points", str(cls)),
            f"score.risk.loan_class_points.{cls}",
            cls.label,
        )
        for name, cls in zip(LOAN_CLASS_NAMES, LoanClass, strict=True)
    ]
    out += [RuleField(f"risk_{k}", ("score", "risk", k), f"score.risk.{k}", label, w) for k, label, w in RISK]
    out += [
        RuleField(
            f"prominence_{kind.value}",
            ("score", "prominence", "kind_points", kind.value),
            f"score.prominence.kind_points.{kind.value}",
            kind.label,
        )
        for kind in ProminenceKind
    ]
    out += [
        RuleField(f"related_{k}", ("score", "relatedness", k), f"score.relatedness.{k}", label, w)
        for k, label, w in RELATEDNESS
    ]
    out += [RuleField(f"clv_{k}", ("clv", k), f"clv.{k}", label, w) for k, label, w in CLV]
    return out


def _tier_rule(rules: dict[str, Any], kind: str, tier: str) -> dict[str, Any] | None:
    return next((t for t in rules.get(kind, {}).get("tiers", []) if t.get("tier") == tier), None)


def _get(rules: dict[str, Any], path: tuple[str, ...]) -> Any:
    if path[1] == "tiers":
        rule = _tier_rule(rules, path[0], path[2]) or _tier_rule(DEFAULT_RULES, path[0], path[2]) or {}
        return rule.get(path[3])
    node: Any = rules
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _json_number(value: Any) -> Any:
    """Whole numbers are kept as integers in the JSON (50000, not 50000.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class TierPolicyForm(forms.Form):
    """Every rule of a draft as a field. Django checks the types; `policy.validate` the ranges, and
    `add_policy_errors` puts each of its messages on the field it names."""

    note = forms.CharField(
        label=_("Note (why this version)"), max_length=500, required=False, widget=forms.TextInput()
    )
    risk_tags = forms.CharField(
        label=_("Tags that count as risk flags (comma or line separated)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    tag_points = forms.CharField(
        label=_("Prominence points per tag (one “tag: points” per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, rules: dict[str, Any], note: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_rules = rules
        self.specs = rule_fields()
        initial: dict[str, Any] = {"note": note}
        for kind in ("individual", "corporate"):
            for tier in LADDER[kind][1:]:
                name = f"{PREFIX[kind]}_{tier}_on"
                self.fields[name] = forms.BooleanField(label=_("In use"), required=False)
                initial[name] = _tier_rule(rules, kind, str(tier)) is not None
        for spec in self.specs:
            field_class = forms.IntegerField if spec.whole else forms.FloatField
            self.fields[spec.name] = field_class(label=spec.label, required=False)
            initial[spec.name] = _get(rules, spec.path)
        score = rules.get("score", {})
        initial["risk_tags"] = "、".join(score.get("risk", {}).get("risk_tags", []))
        tag_points = score.get("prominence", {}).get("tag_points", {}) or {}
        initial["tag_points"] = "\n".join(f"{tag}: {_json_number(p)}" for tag, p in tag_points.items())
        self.initial = initial

    # --- reading the fields back into rules ---

    def clean_risk_tags(self) -> list[str]:
        tags = [t.strip() for t in re.split(r"[,，、\n]", self.cleaned_data.get("risk_tags") or "")]
        return list(dict.fromkeys(t for t in tags if t))

    def clean_tag_points(self) -> dict[str, Any]:
        points: dict[str, Any] = {}
        problems = []
        for number, line in enumerate((self.cleaned_data.get("tag_points") or "").splitlines(), start=1):
            if not line.strip():
                continue
            match = re.fullmatch(r"\s*(.+?)\s*[:：=]\s*(\S+)\s*", line)
            try:
                if match is None:
                    raise ValueError(line)
                points[match[1]] = _json_number(float(match[2]))
            except ValueError:
                problems.append(
                    _("line %(n)s (“%(line)s”) is not “tag: points”") % {"n": number, "line": line.strip()}
                )
        if problems:
            raise forms.ValidationError(problems)
        return points

    def rules(self) -> dict[str, Any]:
        """The rules the fields describe (call after `is_valid()`); keys the form does not show are kept."""
        data = self.cleaned_data
        rules = copy.deepcopy(self.base_rules)
        by_name = {s.name: s for s in self.specs}
        for kind in ("individual", "corporate"):
            tiers = []
            for tier in reversed(LADDER[kind][1:]):
                if not data.get(f"{PREFIX[kind]}_{tier}_on"):
                    continue
                rule = {"tier": str(tier)}
                for key, _label, _whole in TIER_KEYS[kind]:
                    rule[key] = _json_number(data.get(f"{PREFIX[kind]}_{tier}_{key}"))
                tiers.append(rule)
            rules.setdefault(kind, {})["tiers"] = tiers
        for name, spec in by_name.items():
            if spec.path[1] == "tiers":
                continue
            node = rules
            for key in spec.path[:-1]:
                node = node.setdefault(key, {})
            node[spec.path[-1]] = _json_number(data.get(name))
        risk = rules.setdefault("score", {}).setdefault("risk", {})
        risk["risk_tags"] = data.get("risk_tags", [])
        rules["score"].setdefault("prominence", {})["tag_points"] = data.get("tag_points", {})
        return rules

    def add_policy_errors(self, error: PolicyError) -> None:
        """Each message of `validate` on the field whose rule it names (the longest name that
        appears in it), or on the form when it names none."""
        wheres = sorted(
            [(s.where, s.name) for s in self.specs]
            + [("score.risk.risk_tags", "risk_tags"), ("score.prominence.tag_points", "tag_points")],
            key=lambda pair: -len(pair[0]),
        )
        for message in error.errors:
            field = next((name for where, name in wheres if where in message), None)
            if field is not None and field in self.fields:
                self.add_error(field, message)
            else:
                self.add_error(None, message)

    # --- layout for the template ---

    def tier_tables(self) -> list[dict[str, Any]]:
        """Per kind: the column labels and, per tier (highest first), its "in use" box and bars."""
        tables = []
        for kind in ("individual", "corporate"):
            rows = []
            for tier in reversed(LADDER[kind][1:]):
                rows.append(
                    {
                        "label": TIER_LABELS[tier],
                        "on": self[f"{PREFIX[kind]}_{tier}_on"],
                        "fields": [self[f"{PREFIX[kind]}_{tier}_{key}"] for key, _l, _w in TIER_KEYS[kind]],
                    }
                )
            tables.append(
                {
                    "kind": kind,
                    "label": CustomerKind(kind).label,
                    "columns": [label for _k, label, _w in TIER_KEYS[kind]],
                    "rows": rows,
                }
            )
        return tables

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The other rules, by section."""

        def bound(prefix: str) -> list[forms.BoundField]:
            return [self[s.name] for s in self.specs if s.name.startswith(prefix)]

        return [
            (_("Asset-class weights (individual tier basis)"), bound("asset_")),
            (_("Value score weights"), bound("weight_") + bound("full_")),
            (_("Risk points by loan classification"), bound("loan_")),
            (_("Risk points"), [*bound("risk_"), self["risk_tags"]]),
            (_("Prominence points"), [*bound("prominence_"), self["tag_points"]]),
            (_("Relatedness"), bound("related_")),
            (_("Customer lifetime value (CLV)"), bound("clv_")),
        ]


def shown(value: Any) -> str:
    """A rule's value for reading: 10000000 → "10,000,000", 0.08 → "0.08"."""
    if isinstance(value, bool) or value is None:
        return "—"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


def readable_rules(rules: dict[str, Any]) -> dict[str, Any]:
    """The rules laid out for reading: one table per kind of tier, then each group of parameters."""
    tables = []
    for kind in ("individual", "corporate"):
        rows = [
            {"tier": t["tier"], "label": TIER_LABELS.get(t["tier"], t["tier"]),
             "values": [shown(t.get(key)) for key, _l, _w in TIER_KEYS[kind]]}
            for t in rules.get(kind, {}).get("tiers", [])
        ]  # fmt: skip
        tables.append(
            {
                "kind": kind,
                "label": CustomerKind(kind).label,
                "columns": [label for _k, label, _w in TIER_KEYS[kind]],
                "rows": rows,
            }
        )
    specs = [s for s in rule_fields() if s.path[1] != "tiers"]

    def pairs(prefix: str) -> list[tuple[Any, Any]]:
        return [(s.label, shown(_get(rules, s.path))) for s in specs if s.name.startswith(prefix)]

    score = rules.get("score", {})
    tag_points = score.get("prominence", {}).get("tag_points", {}) or {}
    risk_tags = score.get("risk", {}).get("risk_tags", [])
    return {
        "tiers": tables,
        "groups": [
            (_("Asset-class weights (individual tier basis)"), pairs("asset_")),
            (_("Value score weights"), pairs("weight_") + pairs("full_")),
            (_("Risk points by loan classification"), pairs("loan_")),
            (
                _("Risk points"),
                [*pairs("risk_"), (_("Tags that count as risk flags"), "、".join(risk_tags) or "—")],
            ),
            (
                _("Prominence points"),
                pairs("prominence_") + [(tag, shown(p)) for tag, p in tag_points.items()],
            ),
            (_("Relatedness"), pairs("related_")),
            (_("Customer lifetime value (CLV)"), pairs("clv_")),
        ],
    }


# --- filters of the analytics pages ------------------------------------------------------------------


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return "\u3000" * max(obj.depth, 0) + obj.name


def units_for(user: Viewer) -> QuerySet[OrgUnit]:
    """The org units offered as a filter: a branch head's subtree, everyone else the whole tree (the
    scope still decides which clients are counted)."""
    units = OrgUnit.objects.all()
    if scope_kind(user) is ScopeKind.SUBTREE and getattr(user, "org_unit_id", None):
        units = units.filter(path__startswith=user.org_unit.path)
    return units


class ScopeFilterForm(forms.Form):
    unit = UnitChoiceField(
        label=_("Org unit"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("All in my scope")
    )

    def __init__(self, data: Any = None, *, user: Viewer, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["unit"].queryset = units_for(user)


class MigrationFilterForm(ScopeFilterForm):
    month = forms.ChoiceField(label=_("Month end"), required=False)

    def __init__(self, data: Any = None, *, user: Viewer, months: list[date], **kwargs: Any) -> None:
        self.months = {d.strftime("%Y-%m"): d for d in months}
        if data is not None and not data.get("month") and self.months:
            data = data.copy()
            data["month"] = next(iter(self.months))  # the latest month end by default
        super().__init__(data, user=user, **kwargs)
        self.fields["month"].choices = [(key, key) for key in self.months]

    def clean_month(self) -> date | None:
        key = self.cleaned_data.get("month")
        return self.months[key] if key else None


SEGMENTS = [
    ("", _("All clients")),
    (_("Kind"), list(CustomerKind.choices)),
    (_("Tier"), list(Tier.choices)),
]


class ParetoFilterForm(ScopeFilterForm):
    segment = forms.ChoiceField(label=_("Segment"), choices=SEGMENTS, required=False)
    all_balances = forms.BooleanField(label=_("Include clients with zero or negative AUM"), required=False)
    all_statuses = forms.BooleanField(label=_("Include dormant and closed clients"), required=False)
