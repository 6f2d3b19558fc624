"""Holdings and balance history of one client; the client is fetched through the scope door."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from keyclient.core.api_errors import ID_ERRORS
from keyclient.customers.scope import access_customer, field_classes_of
from keyclient.products.choices import ProductCategory
from keyclient.products.models import BalanceSnapshot, Holding
from keyclient.products.queries import balance_history, latest_holdings
from keyclient.security.field_classes import FieldClass


class HoldingSerializer(serializers.ModelSerializer):
    product_code = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    category = serializers.CharField(source="product.category")
    risk_rating = serializers.CharField(source="product.risk_rating")
    account_no = serializers.SerializerMethodField()

    class Meta:
        model = Holding
        fields = [
            "as_of",
            "product_code",
            "product_name",
            "category",
            "risk_rating",
            "account_no",
            "balance",
            "maturity_date",
        ]

    def get_account_no(self, obj: Holding) -> str:
        from keyclient.security.masking import mask_account_no

        return mask_account_no(obj.account_no)


class BalanceSnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = BalanceSnapshot
        fields = ["as_of", "aum", "aum_madb", "deposit", "investment", "loan"]


@extend_schema(responses={200: HoldingSerializer(many=True), **ID_ERRORS})
@api_view(["GET"])
def customer_holdings(request: Request, pk: int) -> Response:
    """The client's holdings at the latest month end; a team member whose role sees credit but not
    wealth gets the loans only, one who sees neither 403."""
    customer = access_customer(request.user, pk, "view")
    classes = field_classes_of(request.user, [customer])[customer.pk]
    holdings = latest_holdings(customer)
    if FieldClass.WEALTH not in classes:
        if FieldClass.CREDIT not in classes:
            raise PermissionDenied(_("Your role in this client's service team does not show this."))
        holdings = holdings.filter(product__category=ProductCategory.LOAN)
    return Response(HoldingSerializer(holdings, many=True).data)


@extend_schema(responses={200: BalanceSnapshotSerializer(many=True), **ID_ERRORS})
@api_view(["GET"])
def customer_balances(request: Request, pk: int) -> Response:
    """The client's last 12 monthly balance snapshots, oldest first."""
    customer = access_customer(request.user, pk, "view", field_class=FieldClass.WEALTH)
    return Response(BalanceSnapshotSerializer(balance_history(customer), many=True).data)
