from django.urls import path
from rest_framework.routers import SimpleRouter

from keyclient.valuation.api import service_levels, views

router = SimpleRouter()
router.register("tier-overrides", views.TierOverrideViewSet, basename="api-tier-override")

urlpatterns = [
    path("customers/<int:pk>/value/", views.customer_value, name="api-customer-value"),
    path("customers/<int:pk>/prominence-facts/", views.customer_prominence, name="api-customer-prominence"),
    path(
        "customers/<int:pk>/prominence-facts/<int:fact_id>/withdraw/",
        views.customer_prominence_withdraw,
        name="api-customer-prominence-withdraw",
    ),
    path(
        "customers/<int:pk>/service-level/",
        service_levels.customer_service_level,
        name="api-customer-service-level",
    ),
    path(
        "customers/<int:pk>/service-level/grant/",
        service_levels.customer_service_grant,
        name="api-customer-service-grant",
    ),
    path(
        "customers/<int:pk>/service-level/grant/end/",
        service_levels.customer_service_grant_end,
        name="api-customer-service-grant-end",
    ),
    path(
        "tier-policies/<int:version>/service-levels/",
        service_levels.policy_service_levels,
        name="api-policy-service-levels",
    ),
    *router.urls,
]
