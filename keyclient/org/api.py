"""The org over the API, for administrators: units, teams and staff to read; deactivating a login.
The same verbs as the screens (`keyclient.org.staff`); everyone else gets 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from keyclient.audit.actors import signed_in
from keyclient.core.api_errors import ID_ERRORS, INPUT_ERRORS
from keyclient.org.hr import hr_managed_ids
from keyclient.org.models import OrgUnit, Team, User
from keyclient.org.staff import deactivate_user
from keyclient.security.roles import may_manage_org


class UnitSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None)

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "level", "parent_code", "path", "province", "city", "status"]


class TeamSerializer(serializers.ModelSerializer):
    org_unit = serializers.CharField(source="org_unit.code", read_only=True)

    class Meta:
        model = Team
        fields = ["id", "code", "name", "org_unit"]


class StaffSerializer(serializers.ModelSerializer):
    staff_no = serializers.CharField(source="username", read_only=True)
    org_unit = serializers.CharField(source="org_unit.code", read_only=True, default=None)
    team = serializers.CharField(source="team.code", read_only=True, default=None)
    hr_managed = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "staff_no",
            "display_name",
            "role",
            "grade",
            "org_unit",
            "team",
            "is_active",
            "hr_managed",
        ]

    def get_hr_managed(self, obj: User) -> bool:
        return obj.pk in self.context.get("hr", set())


class DeactivateInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


def _admin(request: Request) -> None:
    if not may_manage_org(request.user):
        raise PermissionDenied


@extend_schema(responses={200: UnitSerializer(many=True), 403: ID_ERRORS[403]})
@api_view(["GET"])
def units(request: Request) -> Response:
    _admin(request)
    return Response(UnitSerializer(OrgUnit.objects.select_related("parent").order_by("path"), many=True).data)


@extend_schema(responses={200: TeamSerializer(many=True), 403: ID_ERRORS[403]})
@api_view(["GET"])
def teams(request: Request) -> Response:
    _admin(request)
    return Response(TeamSerializer(Team.objects.select_related("org_unit"), many=True).data)


@extend_schema(responses={200: StaffSerializer(many=True), 403: ID_ERRORS[403]})
@api_view(["GET"])
def staff(request: Request) -> Response:
    _admin(request)
    users = list(User.objects.select_related("org_unit", "team").order_by("username"))
    hr = hr_managed_ids(User, [u.pk for u in users])
    return Response(StaffSerializer(users, many=True, context={"hr": hr}).data)


@extend_schema(request=DeactivateInput, responses={200: StaffSerializer, **INPUT_ERRORS})
@api_view(["POST"])
def staff_deactivate(request: Request, staff_id: int) -> Response:
    """Deactivate a login (never deleted; their clients stay theirs, flagged for handover)."""
    _admin(request)
    person = get_object_or_404(User, pk=staff_id)
    data = DeactivateInput(data=request.data)
    data.is_valid(raise_exception=True)
    try:
        person = deactivate_user(
            actor=signed_in(request.user), user=person, reason=data.validated_data["reason"]
        )
    except ValidationError as exc:
        raise ApiValidationError(exc.message_dict) from exc
    return Response(StaffSerializer(person, context={"hr": set()}).data)
