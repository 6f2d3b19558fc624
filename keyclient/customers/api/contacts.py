"""Contact points of clients over the API: scoped through the client, values masked on the way out."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from keyclient.audit.actors import signed_in
from keyclient.core.api_errors import ID_ERRORS, INPUT_ERRORS
from keyclient.customers.forms import contact_value_error
from keyclient.customers.models import ContactPoint
from keyclient.customers.scope import access_customer, scoped_to_customers
from keyclient.customers.services import (
    CONTACT_MASKERS,
    add_contact_point,
    change_contact_point,
    remove_contact_point,
)
from keyclient.security.masking import MASKERS
from keyclient.security.roles import Action


class ContactPointSerializer(serializers.ModelSerializer):
    value = serializers.CharField(write_only=True, max_length=255)
    masked_value = serializers.SerializerMethodField()

    class Meta:
        model = ContactPoint
        fields = ["id", "customer", "kind", "label", "value", "masked_value", "is_primary"]

    def get_masked_value(self, obj: ContactPoint) -> str:
        return MASKERS[CONTACT_MASKERS[obj.kind]](obj.value)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["customer"] = serializers.IntegerField(
            source="customer_id", read_only=self.instance is not None
        )
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        value = attrs.get("value", getattr(self.instance, "value", "")).strip()
        error = contact_value_error(kind, value)
        if error:
            raise serializers.ValidationError({"value": error})
        attrs["value"] = value
        return attrs


@extend_schema_field(OpenApiTypes.INT)
class ClientIdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ContactPointFilterSet(django_filters.FilterSet):
    # A plain id, not a choice among all clients: an unknown id and an out-of-scope id must both
    # answer an empty list (a 400 for one of them would tell which clients exist).
    customer = ClientIdFilter(field_name="customer__id")

    class Meta:
        model = ContactPoint
        fields = ["customer", "kind"]


@extend_schema_view(
    list=extend_schema(responses={200: ContactPointSerializer(many=True), **INPUT_ERRORS}),
    create=extend_schema(responses={201: ContactPointSerializer, **INPUT_ERRORS}),
    retrieve=extend_schema(responses={200: ContactPointSerializer, **ID_ERRORS}),
    update=extend_schema(responses={200: ContactPointSerializer, **INPUT_ERRORS}),
    partial_update=extend_schema(responses={200: ContactPointSerializer, **INPUT_ERRORS}),
    destroy=extend_schema(responses={204: None, **ID_ERRORS}),
)
class ContactPointViewSet(viewsets.ModelViewSet):
    """Phones, emails and addresses of the clients in the caller's scope."""

    serializer_class = ContactPointSerializer
    queryset = ContactPoint.objects.none()  # per user, see get_queryset
    filterset_class = ContactPointFilterSet

    def get_queryset(self) -> QuerySet[ContactPoint]:
        return scoped_to_customers(ContactPoint.objects.all(), self.request.user).order_by(
            "customer", "kind", "id"
        )

    def perform_create(self, serializer: serializers.BaseSerializer[ContactPoint]) -> None:
        data = dict(serializer.validated_data)
        customer = access_customer(self.request.user, data.pop("customer_id"), Action.CHANGE)
        serializer.instance = add_contact_point(actor=signed_in(self.request.user), customer=customer, **data)

    def perform_update(self, serializer: serializers.BaseSerializer[ContactPoint]) -> None:
        contact = serializer.instance
        assert contact is not None  # an update always has its instance
        access_customer(self.request.user, contact.customer_id, Action.CHANGE)
        data: dict[str, Any] = {
            "kind": contact.kind,
            "value": contact.value,
            "label": contact.label,
            "is_primary": contact.is_primary,
        }
        data.update(serializer.validated_data)
        serializer.instance = change_contact_point(
            actor=signed_in(self.request.user), contact=contact, **data
        )

    def perform_destroy(self, instance: ContactPoint) -> None:
        access_customer(self.request.user, instance.customer_id, Action.CHANGE)
        remove_contact_point(actor=signed_in(self.request.user), contact=instance)
