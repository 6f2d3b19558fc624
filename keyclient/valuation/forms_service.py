"""Forms of the service levels: a draft policy's levels (one row of fields per tier) and a client's
grant of another tier's level."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keyclient.customers.choices import TeamRole, Tier
from keyclient.valuation.choices import Benefit
from keyclient.valuation.policy import CORPORATE_LADDER, INDIVIDUAL_LADDER, PolicyError
from keyclient.valuation.service_levels import (
    MONTHS,
    RESPONSE_HOURS,
    SWITCHES,
    TEAM_ROLES,
    TIERS,
    ServiceLevel,
)

COLUMNS: tuple[tuple[str, Any], ...] = (
    ("dedicated_rm", _("Dedicated RM")),
    ("service_team", _("Service team")),
    ("team_roles", _("Team roles asked")),
    ("senior_sponsor", _("Senior sponsor")),
    ("contact_every_months", _("Contact every (months)")),
    ("review_every_months", _("Review meeting every (months)")),
    ("needs_review_every_months", _("Needs review every (months)")),
    ("response_hours", _("Response within (hours)")),
    ("benefits", _("Benefits")),
)
ROLE_CHOICES = [(r, label) for r, label in TeamRole.choices if r in TEAM_ROLES]


class ServiceLevelsForm(forms.Form):
    """Every tier's level as a row of fields named `<tier>-<key>`; `levels()` reads them back and
    `policy`-style errors (`service_levels.<tier>.<key> …`) land on the field they name."""

    def __init__(self, *args: Any, levels: dict[str, dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        initial: dict[str, Any] = {}
        for tier in TIERS:
            declared = levels.get(tier, {})
            for key in SWITCHES:
                self.fields[f"{tier}-{key}"] = forms.BooleanField(required=False)
            for key, (low, high) in {**MONTHS, "response_hours": RESPONSE_HOURS}.items():
                self.fields[f"{tier}-{key}"] = forms.IntegerField(min_value=low, max_value=high)
            self.fields[f"{tier}-team_roles"] = forms.MultipleChoiceField(
                choices=ROLE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
            )
            self.fields[f"{tier}-benefits"] = forms.MultipleChoiceField(
                choices=Benefit.choices, required=False, widget=forms.CheckboxSelectMultiple
            )
            for key, _label in COLUMNS:
                self.fields[f"{tier}-{key}"].label = f"{Tier(tier).label} · {_label}"
                initial[f"{tier}-{key}"] = declared.get(key)
        self.initial = initial

    def levels(self) -> dict[str, dict[str, Any]]:
        data = self.cleaned_data
        return {
            tier: {
                key: list(data[f"{tier}-{key}"])
                if key in ("team_roles", "benefits")
                else data[f"{tier}-{key}"]
                for key, _label in COLUMNS
            }
            for tier in TIERS
        }

    def add_policy_errors(self, error: PolicyError) -> None:
        for message in error.errors:
            field = next(
                (f"{t}-{k}" for t in TIERS for k, _l in COLUMNS if f"service_levels.{t}.{k}" in message), None
            )
            if field is None:
                tier = next((t for t in TIERS if f"service_levels.{t}:" in message), None)
                field = f"{tier}-service_team" if tier else None
            self.add_error(field, message)

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"tier": tier, "label": Tier(tier).label, "fields": [self[f"{tier}-{k}"] for k, _l in COLUMNS]}
            for tier in TIERS
        ]


def grant_tier_choices(kind: str) -> list[tuple[str, Any]]:
    ladder = CORPORATE_LADDER if kind == "corporate" else INDIVIDUAL_LADDER
    return [(str(t), t.label) for t in reversed(ladder)]


class GrantForm(forms.Form):
    """Head office serves a client at another tier's level, with a reason."""

    tier = forms.ChoiceField(label=_("Serve at the level of"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tier = self.fields["tier"]
        assert isinstance(tier, forms.ChoiceField)
        tier.choices = grant_tier_choices(kind)


class GrantEndForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the grant ends"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )


def readable_levels(levels: dict[str, ServiceLevel]) -> list[dict[str, Any]]:
    """Each tier's level as the cells of a read-only table, in the columns' order."""
    roles, benefits = dict(TeamRole.choices), dict(Benefit.choices)

    def months(n: int) -> str:
        return str(n) if n else "—"

    return [
        {
            "tier": tier,
            "label": Tier(tier).label,
            "cells": [
                "✓" if level.dedicated_rm else "—",
                "✓" if level.service_team else "—",
                "、".join(str(roles[r]) for r in level.team_roles) or "—",
                "✓" if level.senior_sponsor else "—",
                months(level.contact_every_months),
                months(level.review_every_months),
                months(level.needs_review_every_months),
                str(level.response_hours),
                "、".join(str(benefits[b]) for b in level.benefits) or "—",
            ],
        }
        for tier, level in ((t, levels[t]) for t in TIERS)
    ]
