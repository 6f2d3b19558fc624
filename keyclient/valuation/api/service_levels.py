"""Service-level API: what a client is entitled to (with today's shortfalls), head office's grant of
another tier's level, and a policy version's levels (read; replaced in a draft by head office).

Clients go through the scope door (out of scope is 404, never 403); the verbs of
`valuation.service_grants` check the role again and write the business event.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from keyclient.audit.actors import signed_in
from keyclient.core.api_errors import ID_ERRORS, INPUT_ERRORS
from keyclient.customers.choices import TeamRole, Tier
from keyclient.customers.models import Customer
from keyclient.customers.scope import access_customer
from keyclient.security.field_classes import FieldClass
from keyclient.security.roles import Action, may_edit_tier_policy
from keyclient.valuation.api.serializers import service_errors
from keyclient.valuation.choices import Benefit
from keyclient.valuation.entitlement import entitlement_data, entitlements_for
from keyclient.valuation.models import ServiceLevelGrant, TierPolicy
from keyclient.valuation.policy import PolicyError
from keyclient.valuation.service_grants import (
    end_service_level_grant,
    grant_service_level,
    save_service_levels,
)
from keyclient.valuation.service_levels import MONTHS, RESPONSE_HOURS, TEAM_ROLES, TIERS, declared_levels


class LevelSerializer(serializers.Serializer):
    dedicated_rm = serializers.BooleanField()
    service_team = serializers.BooleanField()
    team_roles = serializers.ListField(
        child=serializers.ChoiceField([r for r in TeamRole.values if r in TEAM_ROLES])
    )
    senior_sponsor = serializers.BooleanField()
    contact_every_months = serializers.IntegerField(min_value=0, max_value=MONTHS["contact_every_months"][1])
    review_every_months = serializers.IntegerField(min_value=0, max_value=MONTHS["review_every_months"][1])
    needs_review_every_months = serializers.IntegerField(
        min_value=0, max_value=MONTHS["needs_review_every_months"][1]
    )
    response_hours = serializers.IntegerField(min_value=RESPONSE_HOURS[0], max_value=RESPONSE_HOURS[1])
    benefits = serializers.ListField(child=serializers.ChoiceField(Benefit.choices))


class PolicyLevelsSerializer(serializers.Serializer):
    version = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True)
    service_levels = serializers.DictField(child=LevelSerializer())


class GrantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tier = serializers.ChoiceField(Tier.choices)
    reason = serializers.CharField()
    granted_by = serializers.CharField()
    granted_at = serializers.DateTimeField()


class ShortfallSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()


class EntitlementSerializer(LevelSerializer):
    tier = serializers.ChoiceField(Tier.choices, help_text="The client's own tier.")
    level_tier = serializers.ChoiceField(Tier.choices, help_text="The tier whose level applies.")
    policy_version = serializers.IntegerField(allow_null=True)
    # DRF takes declared fields off the class, so `source` here does not shadow `Field.source`.
    source = serializers.ChoiceField(["tier", "grant"])  # type: ignore[assignment]
    grant = GrantSerializer(allow_null=True)
    shortfalls = ShortfallSerializer(many=True)


class GrantCreateSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(Tier.choices)
    reason = serializers.CharField(max_length=2000, help_text="Why (at least 10 characters).")


class GrantEndSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why the grant ends (at least 10 characters).")


def _entitlement(customer: Customer) -> Response:
    data = entitlement_data(*entitlements_for(Customer.objects.filter(pk=customer.pk))[customer.pk])
    return Response(EntitlementSerializer(data).data)


@extend_schema(responses={200: EntitlementSerializer, **ID_ERRORS})
@api_view(["GET"])
def customer_service_level(request: Request, pk: int) -> Response:
    """The level the client is entitled to (policy version, own tier, grant) and today's shortfalls."""
    return _entitlement(access_customer(request.user, pk, Action.VIEW, field_class=FieldClass.SERVICE))


@extend_schema(request=GrantCreateSerializer, responses={201: EntitlementSerializer, **INPUT_ERRORS})
@api_view(["POST"])
def customer_service_grant(request: Request, pk: int) -> Response:
    """Head office serves the client at another tier's level, with a reason."""
    customer = access_customer(request.user, pk, Action.CHANGE)
    body = GrantCreateSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    with service_errors():
        grant_service_level(actor=signed_in(request.user), customer=customer, **body.validated_data)
    response = _entitlement(customer)
    response.status_code = status.HTTP_201_CREATED
    return response


@extend_schema(request=GrantEndSerializer, responses={200: EntitlementSerializer, **INPUT_ERRORS})
@api_view(["POST"])
def customer_service_grant_end(request: Request, pk: int) -> Response:
    """End the grant in force: the client is served at their own tier's level again."""
    customer = access_customer(request.user, pk, Action.CHANGE)
    grant = ServiceLevelGrant.objects.filter(customer=customer, ended_at__isnull=True).first()
    if grant is None:
        raise Http404(_("No such service level grant"))
    body = GrantEndSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    with service_errors():
        end_service_level_grant(
            actor=signed_in(request.user), grant=grant, reason=body.validated_data["reason"]
        )
    return _entitlement(customer)


@extend_schema(methods=["GET"], responses={200: PolicyLevelsSerializer, **ID_ERRORS})
@extend_schema(
    methods=["PUT"], request=PolicyLevelsSerializer, responses={200: PolicyLevelsSerializer, **INPUT_ERRORS}
)
@api_view(["GET", "PUT"])
def policy_service_levels(request: Request, version: int) -> Response:
    """GET: a policy version's levels per tier. PUT: replace a draft's levels (head office); every
    wrong value is named and nothing is saved; a published version answers 400 and stays as it is."""
    if not may_edit_tier_policy(request.user):
        raise PermissionDenied(_("Only head office and administrators edit the tier policy."))
    policy = TierPolicy.objects.filter(version=version).first()
    if policy is None:
        raise Http404(_("No such policy version"))
    if request.method == "PUT":
        body = PolicyLevelsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        levels = {tier: dict(level) for tier, level in body.validated_data["service_levels"].items()}
        try:
            with service_errors():
                policy = save_service_levels(actor=signed_in(request.user), policy=policy, levels=levels)
        except PolicyError as exc:
            raise serializers.ValidationError({"service_levels": exc.errors}) from None
    levels = declared_levels(policy.rules)
    data = {
        "version": policy.version,
        "status": policy.status,
        "service_levels": {t: levels[t] for t in TIERS},
    }
    return Response(PolicyLevelsSerializer(data).data)
