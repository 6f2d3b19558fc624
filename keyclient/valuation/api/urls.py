from django.urls import path
from rest_framework.routers import SimpleRouter

from keyclient.valuation.api import views

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
    *router.urls,
]
