"""Client API representations. Personal fields leave the server masked."""

from __future__ import annotations

from rest_framework import serializers

from keyclient.customers.models import Customer, Tag
from keyclient.security.masking import mask_id_number, mask_phone


class MaskedField(serializers.ReadOnlyField):
    """A personal field, sent masked."""

    def __init__(self, masker, **kwargs):  # type: ignore[no-untyped-def]
        self.masker = masker
        super().__init__(**kwargs)

    def to_representation(self, value: str) -> str:
        return self.masker(value)


class CustomerListSerializer(serializers.ModelSerializer):
    home_org_unit = serializers.CharField(source="home_org_unit.name", read_only=True)
    primary_rm = serializers.CharField(source="primary_rm.display_name", read_only=True, default=None)

    class Meta:
        model = Customer
        fields = [
            "id",
            "customer_no",
            "kind",
            "name",
            "tier",
            "status",
            "aum",
            "aum_as_of",
            "home_org_unit",
            "primary_rm",
        ]


class CustomerDetailSerializer(CustomerListSerializer):
    id_number = MaskedField(mask_id_number)
    mobile = MaskedField(mask_phone)
    # The birth date is the ID's hidden digits and a registration number can equal the masked credit
    # code: the age is sent instead of the one, the other is masked like the ID.
    age = serializers.IntegerField(read_only=True, allow_null=True)
    registration_no = MaskedField(mask_id_number)
    tags: serializers.SlugRelatedField[Tag] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name"
    )

    class Meta(CustomerListSerializer.Meta):
        fields = [
            *CustomerListSerializer.Meta.fields,
            "gender",
            "age",
            "industry",
            "registration_no",
            "id_type",
            "id_number",
            "mobile",
            "province",
            "city",
            "open_date",
            "risk_tolerance",
            "risk_assessed_on",
            "tags",
        ]
