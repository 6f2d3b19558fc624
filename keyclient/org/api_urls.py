from django.urls import path

from keyclient.org import api

urlpatterns = [
    path("org/units/", api.units, name="api-org-units"),
    path("org/teams/", api.teams, name="api-org-teams"),
    path("org/staff/", api.staff, name="api-org-staff"),
    path("org/staff/<int:staff_id>/deactivate/", api.staff_deactivate, name="api-org-staff-deactivate"),
]
