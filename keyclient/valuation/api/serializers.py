"""Serializers of the valuation API: a client's value breakdown, tier requests, prominence facts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.settings import api_settings

from keyclient.customers.choices import Tier
from keyclient.valuation.choices import OverrideKind, ProminenceKind, TierState
from keyclient.valuation.models import ProminenceFact, TierAssignment, TierOverride
from keyclient.valuation.queries import IndicatorPart, ValueBreakdown


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2)


def _score(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=7, decimal_places=2, **kwargs)


@contextmanager
def service_errors() -> Iterator[None]:
    """A service's ValidationError as a 400 naming the field (`non_field_errors` when it names none)."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = (
            exc.message_dict
            if hasattr(exc, "error_dict")
            else {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        )
        raise serializers.ValidationError(detail) from None


# --- the value breakdown -------------------------------------------------------------------------


class _IndicatorSerializer(serializers.Serializer):
    score = _score(help_text="The indicator, 0–100.")
    previous_score = _score(allow_null=True, help_text="At the previous month end.")
    weight = serializers.DecimalField(
        max_digits=6, decimal_places=2, help_text="The weight in the tier policy."
    )
    share = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        help_text="Weight ÷ the sum of the contribution, prominence and relatedness weights; negative for risk.",
    )
    points = _score(source="part", help_text="share × score: what the indicator adds to the value score.")
    moved = _score(allow_null=True, help_text="Change of `points` since the previous month end.")


class ContributionSerializer(_IndicatorSerializer):
    contribution_12m = _money()
    contribution_trend = serializers.DecimalField(
        max_digits=7, decimal_places=4, help_text="Last 3 months against the 3 before, as a ratio."
    )


class RiskSerializer(_IndicatorSerializer):
    worst_loan_class = serializers.CharField(
        help_text="五级分类 of the worst loan; 未知 when the bank sent none (and no known class is worse); "
        "empty without loans."
    )
    max_overdue_days = serializers.IntegerField(
        allow_null=True, help_text="null when the bank sent loans without their overdue days."
    )
    concentration = serializers.DecimalField(
        max_digits=5, decimal_places=4, help_text="Share of holdings in the largest R3+ holding."
    )
    risk_flags = serializers.IntegerField()
    kyc_stale = serializers.BooleanField(
        allow_null=True, help_text="Null when no risk-tolerance assessment is on file (unknown, not risk)."
    )


class ProminenceSerializer(_IndicatorSerializer):
    prominence_points = serializers.IntegerField(help_text="From prominence facts and scoring tags.")


class RelatednessSerializer(_IndicatorSerializer):
    link_count = serializers.IntegerField()
    linked_aum = _money()
    linked_contribution = _money()


class IndicatorsSerializer(serializers.Serializer):
    contribution = ContributionSerializer()
    risk = RiskSerializer()
    prominence = ProminenceSerializer()
    relatedness = RelatednessSerializer()


INPUTS = {
    "contribution": ("contribution_12m", "contribution_trend"),
    "risk": ("worst_loan_class", "max_overdue_days", "concentration", "risk_flags", "kyc_stale"),
    "prominence": ("prominence_points",),
    "relatedness": ("link_count", "linked_aum", "linked_contribution"),
}


class ValueSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    policy_version = serializers.IntegerField()
    value_score = _score()
    previous_as_of = serializers.DateField(allow_null=True)
    value_moved = _score(allow_null=True)
    clv = _money()
    retention = serializers.DecimalField(max_digits=5, decimal_places=4)
    indicators = IndicatorsSerializer()


class BarSerializer(serializers.Serializer):
    min_aum = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    min_contribution = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    min_deposit = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    min_loan = serializers.DecimalField(max_digits=18, decimal_places=2, required=False)
    min_value_score = _score(required=False)


class StandingSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(Tier.choices, help_text="The client's tier now.")
    state = serializers.ChoiceField(
        TierState.choices, allow_null=True, help_text="Null before the first run."
    )
    as_of = serializers.DateField(allow_null=True, help_text="The latest month-end run.")
    qualified_tier = serializers.CharField(help_text="The tier the rules give this month.")
    rule_tier = serializers.CharField(help_text="The tier the lifecycle keeps (watch months included).")
    policy_version = serializers.IntegerField(allow_null=True)
    basis = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    months_below = serializers.IntegerField()
    downgrade_months = serializers.IntegerField(allow_null=True)
    bar = BarSerializer(help_text="The bars of `rule_tier` (any one of the money bars for corporates).")


class TierHistorySerializer(serializers.ModelSerializer):
    # Integers declared here: the model's carry database-dependent bounds into the schema.
    policy_version = serializers.IntegerField()
    months_below = serializers.IntegerField()
    value_score = _score(allow_null=True)

    class Meta:
        model = TierAssignment
        fields = [
            "as_of", "policy_version", "basis", "qualified_tier", "previous_tier", "rule_tier", "tier", "state",
            "months_below", "value_score",
        ]  # fmt: skip


class ProminenceFactSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    recorded_by_name = serializers.CharField(source="recorded_by.display_name", read_only=True)

    class Meta:
        model = ProminenceFact
        fields = ["id", "customer", "kind", "evidence", "recorded_by", "recorded_by_name", "recorded_at",
                  "withdrawn_at"]  # fmt: skip
        read_only_fields = fields


class ValueBreakdownSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    standing = StandingSerializer()
    value = ValueSerializer(allow_null=True, help_text="Null before the first month-end run.")
    prominence_facts = ProminenceFactSerializer(many=True, help_text="The facts that score (not withdrawn).")
    history = TierHistorySerializer(many=True, help_text="The last 12 month ends, newest first.")


def breakdown_data(customer: Any, breakdown: ValueBreakdown, facts: list[ProminenceFact]) -> dict[str, Any]:
    """The object `ValueBreakdownSerializer` reads."""
    latest, previous = breakdown.latest, breakdown.previous

    def indicator(part: IndicatorPart) -> dict[str, Any]:
        data = {
            "score": part.score, "previous_score": part.previous_score, "weight": part.weight,
            "share": part.share, "part": part.part, "moved": part.moved,
        }  # fmt: skip
        data.update({name: getattr(latest, name) for name in INPUTS[part.key]})
        return data

    value = None
    if latest is not None and breakdown.parts:
        value = {
            "as_of": latest.as_of,
            "policy_version": latest.policy_version,
            "value_score": latest.value_score,
            "previous_as_of": previous.as_of if previous else None,
            "value_moved": breakdown.value_moved,
            "clv": latest.clv,
            "retention": latest.retention,
            "indicators": {p.key: indicator(p) for p in breakdown.parts},
        }
    return {
        "customer": customer.pk,
        "standing": breakdown.standing,
        "value": value,
        "prominence_facts": facts,
        "history": breakdown.history,
    }


# --- tier requests -------------------------------------------------------------------------------


class TierOverrideSerializer(serializers.ModelSerializer):
    customer_no = serializers.CharField(source="customer.customer_no", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    requested_by_name = serializers.CharField(source="requested_by.display_name", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True)
    decided_by_name = serializers.CharField(source="decided_by.display_name", read_only=True, allow_null=True)

    class Meta:
        model = TierOverride
        fields = [
            "id", "customer", "customer_no", "customer_name", "kind", "tier", "tier_before", "reason", "status",
            "requested_by", "requested_by_name", "requested_at", "decided_by", "decided_by_name", "decided_at",
            "decision_note", "ended_at",
        ]  # fmt: skip
        read_only_fields = fields


class TierRequestSerializer(serializers.Serializer):
    """A request for a manual tier decision (the rules are checked by the service)."""

    customer = serializers.IntegerField(help_text="The client's id.")
    kind = serializers.ChoiceField(OverrideKind.choices)
    tier = serializers.ChoiceField(
        Tier.choices, allow_blank=True, default="", help_text="The tier to set; empty to disqualify."
    )
    reason = serializers.CharField(
        allow_blank=True, default="", max_length=2000, help_text="At least 10 characters."
    )


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(
        allow_blank=True, default="", max_length=500, help_text="Required to reject."
    )


class EndSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True, default="", max_length=500, help_text="At least 10 characters."
    )


class ProminenceCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(ProminenceKind.choices)
    evidence = serializers.CharField(
        allow_blank=True,
        default="",
        max_length=500,
        help_text="Where this is known from (at least 10 characters).",
    )
