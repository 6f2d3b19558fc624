from django.urls import path

from keyclient.coverage.api import views

urlpatterns = [
    path("customers/<int:pk>/coverage/", views.customer_coverage, name="api-customer-coverage"),
    path(
        "customers/<int:pk>/coverage/split/",
        views.customer_coverage_split,
        name="api-customer-coverage-split",
    ),
    path(
        "customers/<int:pk>/coverage/release/",
        views.customer_coverage_release,
        name="api-customer-coverage-release",
    ),
    path(
        "coverage-requests/<int:request_id>/approve/",
        views.request_approve,
        name="api-coverage-request-approve",
    ),
    path(
        "coverage-requests/<int:request_id>/reject/", views.request_reject, name="api-coverage-request-reject"
    ),
    path("coverage/bulk/", views.bulk_assign, name="api-coverage-bulk"),
]
