"""Login, logout and the two-factor steps (names without a namespace: `LOGIN_URL = "login"`)."""

from django.urls import path

from keyclient.security import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.verify, name="two_factor_verify"),
    path("login/enrol/", views.enrol, name="two_factor_enrol"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
