"""Assignment API: a client's coverage (RMs, credit split, open request, history); assign or reassign,
change the split, release; decide a request; bulk assignment.

Clients go through the scope door (out of scope: 404, never 403); in scope but the role may not act:
403; bad input: 400 naming the field. `coverage.services` writes and refuses before writing anything.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from keyclient.audit.actors import signed_in
from keyclient.core.api_errors import ID_ERRORS, INPUT_ERRORS
from keyclient.coverage import services
from keyclient.coverage.models import AssignmentRequest
from keyclient.coverage.queries import coverage_of, history_of, requests_visible_to
from keyclient.customers.models import Customer
from keyclient.customers.scope import access_customer
from keyclient.security.roles import Action
from keyclient.valuation.api.serializers import DecisionSerializer, service_errors  # the tier decisions' body
from keyclient.valuation.choices import OverrideStatus


class RmSerializer(serializers.Serializer):
    rm = serializers.IntegerField(source="rm_id")
    staff_no = serializers.CharField(source="rm.username")
    name = serializers.CharField(source="rm.display_name")
    role = serializers.CharField()
    share = serializers.DecimalField(max_digits=5, decimal_places=2)
    since = serializers.DateField()


class CoverageChangeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    role = serializers.CharField()
    from_rm = serializers.IntegerField(source="from_rm_id", allow_null=True)
    to_rm = serializers.IntegerField(source="to_rm_id", allow_null=True)
    share_from = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    share_to = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    effective_on = serializers.DateField()
    reason = serializers.CharField()
    changed_by = serializers.IntegerField(source="changed_by_id")
    approved_by = serializers.IntegerField(source="approved_by_id", allow_null=True)
    changed_at = serializers.DateTimeField()


class CoverageRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.IntegerField(source="customer_id")
    kind = serializers.CharField()
    primary = serializers.IntegerField(source="primary_id", allow_null=True)
    primary_before = serializers.IntegerField(source="primary_before_id", allow_null=True)
    split = serializers.DictField(child=serializers.CharField())
    reason = serializers.CharField()
    status = serializers.CharField()
    requested_by = serializers.IntegerField(source="requested_by_id")
    decided_by = serializers.IntegerField(source="decided_by_id", allow_null=True)
    decision_note = serializers.CharField()


class CoverageSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    primary_rm = serializers.IntegerField(allow_null=True)
    rms = RmSerializer(many=True)
    open_request = CoverageRequestSerializer(allow_null=True)
    history = CoverageChangeSerializer(many=True)


class ChangeRmSerializer(serializers.Serializer):
    rm = serializers.IntegerField(help_text="The new primary RM (a user id).")
    split = serializers.DictField(
        child=serializers.CharField(), required=False,
        help_text='Optional credit split {"<user id>": "<percent>"} summing to 100, the primary included.',
    )  # fmt: skip
    reason = serializers.CharField(max_length=500, help_text="Why (at least 10 characters).")


class SplitSerializer(serializers.Serializer):
    split = serializers.DictField(child=serializers.CharField())
    reason = serializers.CharField(max_length=500)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class BulkSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=10_000)
    rm = serializers.IntegerField()
    reason = serializers.CharField(max_length=500)


class BulkOutcomeSerializer(serializers.Serializer):
    applied = serializers.IntegerField()
    requested = serializers.IntegerField()
    unchanged = serializers.IntegerField()


def _coverage(customer: Customer, code: int = status.HTTP_200_OK) -> Response:
    customer.refresh_from_db(fields=["primary_rm"])
    open_request = AssignmentRequest.objects.filter(
        customer_id=customer.pk, status=OverrideStatus.PENDING
    ).first()
    data = {
        "customer": customer.pk,
        "primary_rm": customer.primary_rm_id,
        "rms": list(coverage_of(customer.pk)),
        "open_request": open_request,
        "history": list(history_of(customer.pk)[:50]),
    }
    return Response(CoverageSerializer(data).data, status=code)


def _rm(user_id: int) -> Any:
    from keyclient.org.models import User

    rm = User.objects.filter(pk=user_id).select_related("org_unit").first()
    if rm is None:
        raise serializers.ValidationError({"rm": [_("No such member of staff.")]})
    return rm


@extend_schema(methods=["GET"], responses={200: CoverageSerializer, **ID_ERRORS})
@extend_schema(
    methods=["POST"],
    request=ChangeRmSerializer,
    responses={200: CoverageSerializer, 201: CoverageSerializer, **INPUT_ERRORS},
)
@api_view(["GET", "POST"])
def customer_coverage(request: Request, pk: int) -> Response:
    """GET: who covers the client. POST: assign a primary RM (or reassign): 200 when applied, 201 when a
    request for a second person's approval was created (`open_request`)."""
    if request.method == "GET":
        return _coverage(access_customer(request.user, pk, Action.VIEW))
    customer = access_customer(request.user, pk, Action.CHANGE)
    body = ChangeRmSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    verb = services.reassign if customer.primary_rm_id else services.assign
    with service_errors():
        outcome = verb(actor=signed_in(request.user), customer=customer, rm=_rm(body.validated_data["rm"]),
                       reason=body.validated_data["reason"], split=body.validated_data.get("split"))  # fmt: skip
    return _coverage(customer, status.HTTP_200_OK if outcome.applied else status.HTTP_201_CREATED)


@extend_schema(request=SplitSerializer, responses={200: CoverageSerializer, **INPUT_ERRORS})
@api_view(["POST"])
def customer_coverage_split(request: Request, pk: int) -> Response:
    """Secondary RMs and the credit split (summing to 100), the primary RM kept."""
    customer = access_customer(request.user, pk, Action.CHANGE)
    body = SplitSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    with service_errors():
        outcome = services.set_split(actor=signed_in(request.user), customer=customer, **body.validated_data)
    return _coverage(customer, status.HTTP_200_OK if outcome.applied else status.HTTP_201_CREATED)


@extend_schema(
    request=ReasonSerializer, responses={200: CoverageSerializer, 201: CoverageSerializer, **INPUT_ERRORS}
)
@api_view(["POST"])
def customer_coverage_release(request: Request, pk: int) -> Response:
    """Take every RM off the client."""
    customer = access_customer(request.user, pk, Action.CHANGE)
    body = ReasonSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    with service_errors():
        outcome = services.release(actor=signed_in(request.user), customer=customer, **body.validated_data)
    return _coverage(customer, status.HTTP_200_OK if outcome.applied else status.HTTP_201_CREATED)


def _decide(request: Request, request_id: int, approve: bool) -> Response:
    change = requests_visible_to(request.user).filter(pk=request_id).first()
    if change is None:
        raise Http404(_("No such RM change request"))
    body = DecisionSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    with service_errors():
        change = services.decide(actor=signed_in(request.user), request=change, approve=approve,
                                 note=body.validated_data["note"])  # fmt: skip
    return Response(CoverageRequestSerializer(change).data)


@extend_schema(request=DecisionSerializer, responses={200: CoverageRequestSerializer, **INPUT_ERRORS})
@api_view(["POST"])
def request_approve(request: Request, request_id: int) -> Response:
    """A second person approves: the change applies now."""
    return _decide(request, request_id, True)


@extend_schema(request=DecisionSerializer, responses={200: CoverageRequestSerializer, **INPUT_ERRORS})
@api_view(["POST"])
def request_reject(request: Request, request_id: int) -> Response:
    """A second person rejects, saying why."""
    return _decide(request, request_id, False)


@extend_schema(request=BulkSerializer, responses={200: BulkOutcomeSerializer, **INPUT_ERRORS})
@api_view(["POST"])
@parser_classes([JSONParser])  # a list of ids: JSON only (a form would hit Django's field-count limit)
def bulk_assign(request: Request) -> Response:
    """Make one RM the primary RM of many clients (all in the caller's scope, or nothing is written)."""
    body = BulkSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    with service_errors():
        outcome = services.bulk_assign(actor=signed_in(request.user), ids=body.validated_data["ids"],
                                       rm=_rm(body.validated_data["rm"]), reason=body.validated_data["reason"])  # fmt: skip
    return Response(BulkOutcomeSerializer(outcome).data)
