from django.urls import path

from keyclient.relationships.api import views

urlpatterns = [
    path("customers/<int:pk>/links/", views.customer_links, name="api-customer-links"),
]
