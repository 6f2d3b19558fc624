from django.urls import path

from keyclient.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # login/ and logout/ are served by keyclient.security.urls (login hardening; core may not import security).
]
