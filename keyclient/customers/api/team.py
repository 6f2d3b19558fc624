"""A client's service team over the API: read by whoever sees the client's service data, edited by
team leads, branch heads and head office (the same verbs as the 360 page)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from keyclient.audit.actors import signed_in
from keyclient.core.api_errors import ID_ERRORS, INPUT_ERRORS
from keyclient.customers.choices import TeamRole
from keyclient.customers.models import Customer, ServiceTeamMember
from keyclient.customers.scope import access_customer
from keyclient.customers.teams import add_team_member, change_team_role, remove_team_member
from keyclient.customers.views_team import team_row
from keyclient.org.models import User
from keyclient.security.field_classes import FieldClass
from keyclient.security.roles import Action, may_edit_service_team


class TeamMemberSerializer(serializers.ModelSerializer):
    staff_no = serializers.CharField(source="member.username", read_only=True)
    name = serializers.CharField(source="member.display_name", read_only=True)
    active = serializers.BooleanField(source="member.is_active", read_only=True)
    team_role_display = serializers.CharField(source="get_team_role_display", read_only=True)

    class Meta:
        model = ServiceTeamMember
        fields = ["id", "staff_no", "name", "active", "team_role", "team_role_display", "since"]


class TeamMemberInput(serializers.Serializer):
    staff_no = serializers.CharField(max_length=150)
    team_role = serializers.ChoiceField(choices=TeamRole.choices)


class TeamRoleInput(serializers.Serializer):
    team_role = serializers.ChoiceField(choices=TeamRole.choices)


def _editable(request: Request, pk: int) -> Customer:
    customer = access_customer(request.user, pk, Action.VIEW)
    if not may_edit_service_team(request.user):
        raise PermissionDenied
    return customer


def _run(verb, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return verb(**kwargs)
    except ValidationError as exc:
        raise ApiValidationError(exc.message_dict) from exc


@extend_schema(methods=["GET"], responses={200: TeamMemberSerializer(many=True), **ID_ERRORS})
@extend_schema(
    methods=["POST"], request=TeamMemberInput, responses={201: TeamMemberSerializer, **INPUT_ERRORS}
)
@api_view(["GET", "POST"])
def customer_team(request: Request, pk: int) -> Response:
    """GET: the client's service team. POST: add a member of staff (any department) in a role."""
    if request.method == "GET":
        customer = access_customer(request.user, pk, Action.VIEW, field_class=FieldClass.SERVICE)
        rows = ServiceTeamMember.objects.filter(customer=customer).select_related("member")
        return Response(TeamMemberSerializer(rows, many=True).data)
    customer = _editable(request, pk)
    data = TeamMemberInput(data=request.data)
    data.is_valid(raise_exception=True)
    member = User.objects.filter(username=data.validated_data["staff_no"]).first()
    if member is None:
        raise ApiValidationError({"staff_no": ["No member of staff has this number."]})
    row = _run(
        add_team_member,
        actor=signed_in(request.user),
        customer=customer,
        member=member,
        team_role=data.validated_data["team_role"],
    )
    return Response(TeamMemberSerializer(row).data, status=status.HTTP_201_CREATED)


@extend_schema(
    methods=["PATCH"], request=TeamRoleInput, responses={200: TeamMemberSerializer, **INPUT_ERRORS}
)
@extend_schema(methods=["DELETE"], responses={204: None, **ID_ERRORS})
@api_view(["PATCH", "DELETE"])
def customer_team_member(request: Request, pk: int, row_id: int) -> Response:
    """PATCH: give a member another role. DELETE: take them out of the team."""
    customer = _editable(request, pk)
    row = team_row(customer, row_id)
    if request.method == "DELETE":
        remove_team_member(actor=signed_in(request.user), row=row)
        return Response(status=status.HTTP_204_NO_CONTENT)
    data = TeamRoleInput(data=request.data)
    data.is_valid(raise_exception=True)
    row = _run(
        change_team_role, actor=signed_in(request.user), row=row, team_role=data.validated_data["team_role"]
    )
    return Response(TeamMemberSerializer(row).data)
