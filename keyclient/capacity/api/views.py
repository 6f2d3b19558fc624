"""Coverage API: the dashboard's figures, the suggested plan, and applying reviewed lines.

Scoped like the screens (`capacity.scope.coverage_scope`): a role without coverage gets 403, a
unit outside the caller's reach 404."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from keyclient.audit.actors import signed_in
from keyclient.capacity.figures import figures
from keyclient.capacity.queries import covered_share
from keyclient.capacity.scope import coverage_scope
from keyclient.capacity.services import apply_lines
from keyclient.capacity.suggestions import suggest
from keyclient.core.api_errors import ID_ERRORS, INPUT_ERRORS

UNIT = OpenApiParameter("unit", int, description="An org unit in the caller's reach (default: all of it).")


class NormRowSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    grade = serializers.CharField(source="norm.grade")
    tiers = serializers.ListField(child=serializers.CharField(), source="norm.tiers")
    max_clients = serializers.IntegerField(source="norm.max_clients")
    min_clients = serializers.IntegerField(source="norm.min_clients")
    rms = serializers.IntegerField()
    clients = serializers.IntegerField()
    over = serializers.IntegerField()
    under = serializers.IntegerField()


class TierCoverageSerializer(serializers.Serializer):
    tier = serializers.CharField()
    clients = serializers.IntegerField()
    no_rm = serializers.IntegerField()
    no_team = serializers.IntegerField()
    aum = serializers.DecimalField(max_digits=20, decimal_places=2)
    aum_covered = serializers.DecimalField(max_digits=20, decimal_places=2)


class DashboardSerializer(serializers.Serializer):
    norms_version = serializers.IntegerField(allow_null=True)
    norms = NormRowSerializer(many=True)
    rms_over = serializers.IntegerField()
    rms_under = serializers.IntegerField()
    rms_ungraded = serializers.IntegerField()
    tiers = TierCoverageSerializer(many=True)
    aum_covered_share = serializers.FloatField(allow_null=True)


class LineSerializer(serializers.Serializer):
    key = serializers.CharField()
    customer_id = serializers.IntegerField()
    customer_no = serializers.CharField()
    tier = serializers.CharField()
    from_rm = serializers.IntegerField(allow_null=True)
    to_rm = serializers.IntegerField()
    why = serializers.CharField()


class PlanSerializer(serializers.Serializer):
    norms_version = serializers.IntegerField(allow_null=True)
    moved = serializers.IntegerField(source="solution.moved")
    over_after = serializers.IntegerField(source="solution.over")
    uncovered_after = serializers.IntegerField(source="solution.unplaced")
    left_household = serializers.IntegerField()
    lines = LineSerializer(many=True)


class ApplySerializer(serializers.Serializer):
    unit = serializers.IntegerField(required=False, allow_null=True)
    lines = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=100_000
    )
    reason = serializers.CharField(max_length=500)


class AppliedSerializer(serializers.Serializer):
    moved = serializers.IntegerField()


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except DjangoValidationError as exc:
        raise ValidationError({"non_field_errors": exc.messages}) from None


FRESH = OpenApiParameter(
    "fresh", int, description="1: recompute instead of the figures cached for up to 5 minutes."
)


@extend_schema(parameters=[UNIT, FRESH], responses={200: DashboardSerializer, **ID_ERRORS})
@api_view(["GET"])
def dashboard(request: Request) -> Response:
    """Clients per RM against each capacity norm, and the key clients' coverage per tier."""
    user = signed_in(request.user)
    scope = coverage_scope(user, request.query_params.get("unit"))
    found = figures(user, scope, fresh=request.query_params.get("fresh") == "1")
    version, loads, tiers = found.version, found.loads, found.tiers
    data = {
        "norms_version": version, "norms": loads.rows, "rms_over": loads.over, "rms_under": loads.under,
        "rms_ungraded": loads.ungraded, "tiers": tiers, "aum_covered_share": covered_share(tiers),
    }  # fmt: skip
    return Response(DashboardSerializer(data).data)


@extend_schema(parameters=[UNIT], responses={200: PlanSerializer, **ID_ERRORS})
@api_view(["GET"])
def suggestions(request: Request) -> Response:
    """The suggested plan (nothing is written): every line can be applied or left out."""
    return Response(
        PlanSerializer(suggest(coverage_scope(request.user, request.query_params.get("unit")))).data
    )


@extend_schema(request=ApplySerializer, responses={200: AppliedSerializer, **INPUT_ERRORS})
@api_view(["POST"])
def apply(request: Request) -> Response:
    """Apply reviewed lines (`customer:from_rm:to_rm`, from 0 = uncovered), all or nothing, audited."""
    body = ApplySerializer(data=request.data)
    body.is_valid(raise_exception=True)
    scope = coverage_scope(request.user, body.validated_data.get("unit"))
    with _errors():
        moved = apply_lines(
            actor=signed_in(request.user), scope=scope, keys=body.validated_data["lines"],
            reason=body.validated_data["reason"],
        )  # fmt: skip
    return Response({"moved": moved})
