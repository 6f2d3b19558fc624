"""Tier screens under /tiers/: manual tier decisions and their approvals queue (views_client), the
tier policy, what-if, migration and Pareto pages (views_policy, views_analytics)."""

from django.urls import path

from keyclient.valuation import views_analytics, views_client, views_policy, views_service

app_name = "valuation"
urlpatterns = [
    # Manual tier decisions (override / disqualification) with a second person's approval.
    path("approvals/", views_client.approvals, name="approvals"),
    path("clients/<int:pk>/requests/new/", views_client.request_create, name="client-request"),
    path("requests/<int:override_id>/approve/", views_client.request_approve, name="request-approve"),
    path("requests/<int:override_id>/reject/", views_client.request_reject, name="request-reject"),
    path("requests/<int:override_id>/end/", views_client.request_end, name="request-end"),
    # Prominence facts (知名度) with their evidence.
    path("clients/<int:pk>/prominence/new/", views_client.prominence_create, name="client-prominence"),
    path("prominence/<int:fact_id>/withdraw/", views_client.prominence_withdraw, name="prominence-withdraw"),
    # Tier policy (head office, administrators): rules in force, history, draft, what-if, publish.
    path("policy/", views_policy.policy_home, name="policy"),
    path("policy/draft/", views_policy.policy_start_draft, name="policy-draft"),
    path("policy/<int:version>/edit/", views_policy.policy_edit, name="policy-edit"),
    path("policy/<int:version>/what-if/", views_policy.policy_what_if, name="policy-what-if"),
    path("policy/<int:version>/publish/", views_policy.policy_publish, name="policy-publish"),
    # Service levels per tier (a version's levels; head office) and a client's grant of another level.
    path(
        "policy/<int:version>/service-levels/",
        views_service.policy_service_levels,
        name="policy-service-levels",
    ),
    path("clients/<int:pk>/service-level/grant/", views_service.client_grant, name="client-service-grant"),
    path("service-grants/<int:grant_id>/end/", views_service.grant_end, name="service-grant-end"),
    # Analytics in the user's scope: tier migration per month, Pareto concentration.
    path("migration/", views_analytics.migration, name="migration"),
    path("pareto/", views_analytics.pareto, name="pareto"),
]
