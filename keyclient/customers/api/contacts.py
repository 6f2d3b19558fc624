"""Contact points of clients over the API: scoped through the client, values masked on the way out."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

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


class ContactPointViewSet(viewsets.ModelViewSet):
    """Phones, emails and addresses of the clients in the caller's scope."""

    serializer_class = ContactPointSerializer
    queryset = ContactPoint.objects.none()  # per user, see get_queryset
    filterset_fields = ["customer", "kind"]

    def get_queryset(self) -> QuerySet[ContactPoint]:
        return scoped_to_customers(ContactPoint.objects.all(), self.request.user).order_by(
            "customer", "kind", "id"
        )

    def perform_create(self, serializer: ContactPointSerializer) -> None:
        data = dict(serializer.validated_data)
        customer = access_customer(self.request.user, data.pop("customer_id"), Action.CHANGE)
        serializer.instance = add_contact_point(actor=self.request.user, customer=customer, **data)

    def perform_update(self, serializer: ContactPointSerializer) -> None:
        contact = serializer.instance
        access_customer(self.request.user, contact.customer_id, Action.CHANGE)
        data = {
            "kind": contact.kind,
            "value": contact.value,
            "label": contact.label,
            "is_primary": contact.is_primary,
        }
        data.update(serializer.validated_data)
        serializer.instance = change_contact_point(actor=self.request.user, contact=contact, **data)

    def perform_destroy(self, instance: ContactPoint) -> None:
        access_customer(self.request.user, instance.customer_id, Action.CHANGE)
        remove_contact_point(actor=self.request.user, contact=instance)
