"""Valuation API: a client's value breakdown, tier requests (request, approve / reject, end) and
prominence facts.

Everything goes through the scope door: a client or request outside the caller's scope is 404,
never 403; in scope but the role may not act is 403; bad input is 400 naming the field. The verbs of
`valuation.services` do the writing (and refuse before writing anything).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from keyclient.core.api_errors import ID_ERRORS, INPUT_ERRORS
from keyclient.customers.scope import access_customer
from keyclient.security.field_classes import FieldClass
from keyclient.security.roles import Action, may, may_approve
from keyclient.valuation.api.serializers import (
    DecisionSerializer,
    EndSerializer,
    ProminenceCreateSerializer,
    ProminenceFactSerializer,
    TierOverrideSerializer,
    TierRequestSerializer,
    ValueBreakdownSerializer,
    breakdown_data,
    service_errors,
)
from keyclient.valuation.choices import OverrideKind, OverrideStatus
from keyclient.valuation.models import ProminenceFact, TierOverride
from keyclient.valuation.queries import (
    active_facts,
    client_requests,
    open_request_of,
    requests_visible_to,
    value_breakdown,
)
from keyclient.valuation.services import (
    decide_override,
    end_override,
    record_prominence,
    request_override,
    withdraw_prominence,
)

# --- the value breakdown -------------------------------------------------------------------------


@extend_schema(responses={200: ValueBreakdownSerializer, **ID_ERRORS})
@api_view(["GET"])
def customer_value(request: Request, pk: int) -> Response:
    """The client's value score by indicator (against the previous month end), CLV, tier standing
    and the last 12 month ends."""
    customer = access_customer(request.user, pk, Action.VIEW, field_class=FieldClass.VALUE)
    breakdown = value_breakdown(customer, open_request_of(client_requests(customer, limit=1)))
    data = breakdown_data(customer, breakdown, active_facts(customer))
    return Response(ValueBreakdownSerializer(data).data)


# --- tier requests -------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ClientIdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class TierOverrideFilterSet(django_filters.FilterSet):
    # A plain id: an unknown client and an out-of-scope client both give an empty list.
    customer = ClientIdFilter(field_name="customer__id")
    status = django_filters.ChoiceFilter(choices=OverrideStatus.choices)
    kind = django_filters.ChoiceFilter(choices=OverrideKind.choices)

    class Meta:
        model = TierOverride
        fields = ["customer", "status", "kind"]


@extend_schema_view(
    list=extend_schema(responses={200: TierOverrideSerializer(many=True), **INPUT_ERRORS}),
    retrieve=extend_schema(responses={200: TierOverrideSerializer, **ID_ERRORS}),
    create=extend_schema(
        request=TierRequestSerializer, responses={201: TierOverrideSerializer, **INPUT_ERRORS}
    ),
    approve=extend_schema(
        request=DecisionSerializer, responses={200: TierOverrideSerializer, **INPUT_ERRORS}
    ),
    reject=extend_schema(request=DecisionSerializer, responses={200: TierOverrideSerializer, **INPUT_ERRORS}),
    end=extend_schema(request=EndSerializer, responses={200: TierOverrideSerializer, **INPUT_ERRORS}),
)
class TierOverrideViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Manual tier decisions (override to a tier, or disqualification) on the clients in the caller's
    scope. A request is decided by a second person: a team lead, branch head or head office user
    who did not make it."""

    serializer_class = TierOverrideSerializer
    queryset = TierOverride.objects.none()  # per user, see get_queryset
    filterset_class = TierOverrideFilterSet

    def get_queryset(self) -> QuerySet[TierOverride]:
        return requests_visible_to(self.request.user).order_by("-requested_at", "-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Ask for a tier decision; it waits for a second person's approval."""
        body = TierRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        customer = access_customer(request.user, data.pop("customer"), Action.CHANGE)
        with service_errors():
            override = request_override(actor=request.user, customer=customer, **data)
        return Response(TierOverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, *, approve: bool) -> Response:
        override = self.get_object()  # 404 outside the scope
        if not may_approve(request.user):
            raise PermissionDenied(_("Only team leads, branch heads and head office decide tier requests."))
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            override = decide_override(
                actor=request.user, override=override, approve=approve, note=body.validated_data["note"]
            )
        return Response(TierOverrideSerializer(override).data)

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a pending request (not one's own): the client's tier changes at once."""
        return self._decide(request, approve=True)

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject a pending request (not one's own), with a note saying why."""
        return self._decide(request, approve=False)

    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw a pending request or end an approved one; the rules decide the tier again."""
        override = self.get_object()
        if not may(request.user, Action.CHANGE):
            raise PermissionDenied(_("Your role may not do this."))
        body = EndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            override = end_override(
                actor=request.user, override=override, reason=body.validated_data["reason"]
            )
        return Response(TierOverrideSerializer(override).data)


# --- prominence facts ----------------------------------------------------------------------------


@extend_schema(methods=["GET"], responses={200: ProminenceFactSerializer(many=True), **ID_ERRORS})
@extend_schema(
    methods=["POST"],
    request=ProminenceCreateSerializer,
    responses={201: ProminenceFactSerializer, **INPUT_ERRORS},
)
@api_view(["GET", "POST"])
def customer_prominence(request: Request, pk: int) -> Response:
    """GET: the client's prominence facts, withdrawn ones included, newest first.
    POST: record one, with its evidence (it scores from the next month-end run)."""
    if request.method == "GET":
        customer = access_customer(request.user, pk, Action.VIEW, field_class=FieldClass.VALUE)
        facts = ProminenceFact.objects.filter(customer=customer).select_related("recorded_by")
        return Response(ProminenceFactSerializer(facts.order_by("-recorded_at", "-id"), many=True).data)
    customer = access_customer(request.user, pk, Action.CHANGE)
    body = ProminenceCreateSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    with service_errors():
        fact = record_prominence(actor=request.user, customer=customer, **body.validated_data)
    return Response(ProminenceFactSerializer(fact).data, status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses={200: ProminenceFactSerializer, **ID_ERRORS})
@api_view(["POST"])
def customer_prominence_withdraw(request: Request, pk: int, fact_id: int) -> Response:
    """Withdraw a prominence fact (it stops scoring from the next month-end run)."""
    customer = access_customer(request.user, pk, Action.CHANGE)
    fact = ProminenceFact.objects.filter(customer=customer, pk=fact_id).select_related("recorded_by").first()
    if fact is None:
        raise Http404(_("No such prominence fact"))
    fact.customer = customer
    return Response(ProminenceFactSerializer(withdraw_prominence(actor=request.user, fact=fact)).data)
