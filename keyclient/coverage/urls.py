"""Assignment screens (/coverage/)."""

from django.urls import path

from keyclient.coverage import views, views_handover

app_name = "coverage"
urlpatterns = [
    path("clients/<int:pk>/rm/", views.change_rm, name="client-rm"),
    path("clients/<int:pk>/split/", views.change_split, name="client-split"),
    path("clients/<int:pk>/release/", views.release, name="client-release"),
    path("approvals/", views.approvals, name="approvals"),
    path("requests/<int:request_id>/approve/", views.request_approve, name="request-approve"),
    path("requests/<int:request_id>/reject/", views.request_reject, name="request-reject"),
    path("bulk/", views.bulk, name="bulk"),
    path("handovers/new/", views_handover.handover_new, name="handover-new"),
    path("handovers/<int:handover_id>/", views_handover.handover_report, name="handover"),
]
