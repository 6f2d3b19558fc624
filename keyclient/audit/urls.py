from django.urls import path

from keyclient.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_search, name="search"),
    path("<slug:stream>/", views.audit_search, name="stream"),
    path("<slug:stream>/export/", views.audit_export, name="export"),
]
