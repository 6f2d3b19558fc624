from django.urls import path

from keyclient.products.api import views

urlpatterns = [
    path("customers/<int:pk>/holdings/", views.customer_holdings, name="api-customer-holdings"),
    path("customers/<int:pk>/balances/", views.customer_balances, name="api-customer-balances"),
]
