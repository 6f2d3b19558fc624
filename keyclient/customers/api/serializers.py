"""Client API representations. Personal fields leave the server masked."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
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
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    tier_display = serializers.CharField(source="get_tier_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    # From the client's position (annotated by `ranked_for` and `access_customer`).
    aum = serializers.DecimalField(
        label=_("AUM (monthly average)"), max_digits=18, decimal_places=2, read_only=True, allow_null=True
    )
    aum_as_of = serializers.DateField(label=_("AUM as of"), read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "customer_no",
            "kind",
            "kind_display",
            "name",
            "tier",
            "tier_display",
            "status",
            "status_display",
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
    gender_display = serializers.CharField(source="get_gender_display", read_only=True)
    id_type_display = serializers.CharField(source="get_id_type_display", read_only=True)
    risk_tolerance_display = serializers.CharField(source="get_risk_tolerance_display", read_only=True)

    class Meta(CustomerListSerializer.Meta):
        fields = [
            *CustomerListSerializer.Meta.fields,
            "gender",
            "age",
            "gender_display",
            "industry",
            "registration_no",
            "id_type",
            "id_type_display",
            "id_number",
            "mobile",
            "province",
            "city",
            "open_date",
            "risk_tolerance",
            "risk_tolerance_display",
            "risk_assessed_on",
            "tags",
        ]
