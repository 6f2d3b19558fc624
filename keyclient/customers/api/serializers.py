"""Client API representations. Personal fields leave the server masked."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from keyclient.customers.choices import NOT_ON_FILE
from keyclient.customers.models import Customer, Tag
from keyclient.security.masking import mask_id_number, mask_phone


@extend_schema_field({"type": "string", "nullable": True})
class MaskedField(serializers.ReadOnlyField):
    """A personal field, sent masked; `null` when not on file."""

    def __init__(self, masker, **kwargs):  # type: ignore[no-untyped-def]
        self.masker = masker
        super().__init__(**kwargs)

    def to_representation(self, value: str) -> str | None:
        return self.masker(value) or None


@extend_schema_field({"type": "string", "nullable": True})
class OnFileField(serializers.ReadOnlyField):
    """A value the bank may not have sent: `null` when not on file, never `""` or a made-up value."""

    def to_representation(self, value: str) -> str | None:
        return value or None


class CustomerListSerializer(serializers.ModelSerializer):
    name = OnFileField()
    # What a screen shows: the name, or "not on file" in the user's language.
    name_display = serializers.CharField(source="display_name", read_only=True)
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
            "name_display",
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
    id_type = OnFileField()
    id_type_display = serializers.SerializerMethodField()
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

    def get_id_type_display(self, customer: Customer) -> str:
        return customer.get_id_type_display() if customer.id_type else str(NOT_ON_FILE)
