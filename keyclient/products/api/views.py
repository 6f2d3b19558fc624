"""Holdings and balance history of one client; the client is fetched through the scope door."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from keyclient.core.api_errors import ID_ERRORS
from keyclient.customers.scope import access_customer
from keyclient.products.models import BalanceSnapshot, Holding
from keyclient.products.queries import balance_history, latest_holdings


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
    """The client's holdings at the latest month end."""
    customer = access_customer(request.user, pk, "view")
    return Response(HoldingSerializer(latest_holdings(customer), many=True).data)


@extend_schema(responses={200: BalanceSnapshotSerializer(many=True), **ID_ERRORS})
@api_view(["GET"])
def customer_balances(request: Request, pk: int) -> Response:
    """The client's last 12 monthly balance snapshots, oldest first."""
    customer = access_customer(request.user, pk, "view")
    return Response(BalanceSnapshotSerializer(balance_history(customer), many=True).data)
