"""Client API: read-only list and detail, both through the data-scope door."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response

from keyclient.audit.actors import signed_in
from keyclient.audit.choices import AccessAction
from keyclient.audit.services import record_access
from keyclient.core.api_errors import ID_ERRORS, INPUT_ERRORS, TOO_MANY_SEARCHES
from keyclient.customers.api.serializers import CustomerDetailSerializer, CustomerListSerializer
from keyclient.customers.filtersets import CustomerFilterSet
from keyclient.customers.models import Customer
from keyclient.customers.scope import access_customer, withhold_fields
from keyclient.customers.search_limits import SearchLimited


@extend_schema_view(
    list=extend_schema(
        responses={200: CustomerListSerializer(many=True), **INPUT_ERRORS, 429: TOO_MANY_SEARCHES}
    ),
    retrieve=extend_schema(responses={200: CustomerDetailSerializer, **ID_ERRORS}),
)
class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Clients visible to the caller. Out-of-scope ids answer 404."""

    serializer_class = CustomerListSerializer
    filterset_class = CustomerFilterSet
    queryset = Customer.objects.none()  # the real queryset is per user, see get_queryset

    def get_queryset(self) -> QuerySet[Customer]:
        return Customer.objects.ranked_for(self.request.user).select_related("home_org_unit", "primary_rm")

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        try:
            return super().filter_queryset(queryset)
        except SearchLimited as exc:  # over the caller's search limits: 429 with Retry-After
            raise Throttled(wait=exc.retry_after, detail=str(exc)) from exc

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        customer = access_customer(request.user, kwargs["pk"], "view")
        record_access(
            actor=signed_in(request.user),
            action=AccessAction.VIEW_CLIENT,
            customer=customer,
            detail="api",
            request=request,
        )
        withhold_fields(request.user, [customer])
        return Response(CustomerDetailSerializer(customer).data)

    def paginate_queryset(self, queryset: Any) -> list[Any] | None:
        page = super().paginate_queryset(queryset)
        return None if page is None else withhold_fields(self.request.user, list(page))

    def get_serializer_class(self) -> type:
        return CustomerDetailSerializer if self.action == "retrieve" else CustomerListSerializer
