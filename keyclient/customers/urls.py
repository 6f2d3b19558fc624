from django.urls import path

from keyclient.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export/", views.customer_export, name="export"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/unmask/", views.customer_unmask, name="unmask"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("<int:pk>/contacts/<int:contact_id>/edit/", views.contact_edit, name="contact-edit"),
    path("<int:pk>/contacts/<int:contact_id>/delete/", views.contact_delete, name="contact-delete"),
]
