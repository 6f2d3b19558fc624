from django.urls import path
from rest_framework.routers import SimpleRouter

from keyclient.customers.api.contacts import ContactPointViewSet
from keyclient.customers.api.team import customer_team, customer_team_member
from keyclient.customers.api.views import CustomerViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="api-customer")
router.register("contacts", ContactPointViewSet, basename="api-contact")
urlpatterns = [
    path("customers/<int:pk>/service-team/", customer_team, name="api-customer-team"),
    path(
        "customers/<int:pk>/service-team/<int:row_id>/", customer_team_member, name="api-customer-team-member"
    ),
    *router.urls,
]
