from rest_framework.routers import SimpleRouter

from keyclient.customers.api.contacts import ContactPointViewSet
from keyclient.customers.api.views import CustomerViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="api-customer")
router.register("contacts", ContactPointViewSet, basename="api-contact")
urlpatterns = router.urls
