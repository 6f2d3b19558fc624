"""Login, logout and the two-factor steps (names without a namespace: `LOGIN_URL = "login"`)."""

from django.urls import path

from keyclient.security import views, views_reset

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.verify, name="two_factor_verify"),
    path("login/enrol/", views.enrol, name="two_factor_enrol"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    # Resetting a lost authenticator: requested by one administrator, decided by another.
    path("security/two-factor-resets/", views_reset.resets, name="two_factor_resets"),
    path(
        "security/two-factor-resets/<int:reset_id>/approve/",
        views_reset.approve,
        name="two_factor_reset_approve",
    ),
    path(
        "security/two-factor-resets/<int:reset_id>/reject/",
        views_reset.reject,
        name="two_factor_reset_reject",
    ),
]
