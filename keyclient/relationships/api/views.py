"""Links of one client; linked clients outside the caller's scope are returned without their identity."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from keyclient.core.api_errors import ID_ERRORS
from keyclient.customers.scope import access_customer
from keyclient.relationships.queries import links_of
from keyclient.security.field_classes import FieldClass

LinkSerializer = inline_serializer(
    name="CustomerLink",
    many=True,
    fields={
        "link_type": serializers.CharField(),
        "link_type_display": serializers.CharField(),
        "role": serializers.CharField(),
        "role_display": serializers.CharField(),
        "direction": serializers.ChoiceField(choices=["outgoing", "incoming"]),
        "other_id": serializers.IntegerField(allow_null=True),
        "other_name": serializers.CharField(allow_null=True),
        "start_date": serializers.DateField(allow_null=True),
        "source": serializers.CharField(),
        "source_display": serializers.CharField(),
    },
)


@extend_schema(responses={200: LinkSerializer, **ID_ERRORS})
@api_view(["GET"])
def customer_links(request: Request, pk: int) -> Response:
    customer = access_customer(request.user, pk, "view", field_class=FieldClass.RELATIONSHIPS)
    return Response(
        [
            {
                "link_type": view.link.link_type,
                "link_type_display": view.link.get_link_type_display(),
                "role": view.link.role,
                "role_display": view.link.get_role_display(),
                "direction": "outgoing" if view.outgoing else "incoming",
                "other_id": view.other.pk if view.other_visible else None,
                "other_name": view.other.name if view.other_visible else None,
                "start_date": view.link.start_date,
                "source": view.link.source,
                "source_display": view.link.get_source_display(),
            }
            for view in links_of(customer, request.user)
        ]
    )
