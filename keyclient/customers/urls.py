from django.urls import path

from keyclient.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/unmask/", views.customer_unmask, name="unmask"),
]
