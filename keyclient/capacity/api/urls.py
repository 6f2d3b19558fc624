from django.urls import path

from keyclient.capacity.api import views

urlpatterns = [
    path("coverage/", views.dashboard, name="api-coverage"),
    path("coverage/suggestions/", views.suggestions, name="api-coverage-suggestions"),
    path("coverage/suggestions/apply/", views.apply, name="api-coverage-apply"),
]
