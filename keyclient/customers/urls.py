from django.urls import path

from keyclient.customers import views, views_team

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export/", views.customer_export, name="export"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/unmask/", views.customer_unmask, name="unmask"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("<int:pk>/contacts/<int:contact_id>/edit/", views.contact_edit, name="contact-edit"),
    path("<int:pk>/contacts/<int:contact_id>/delete/", views.contact_delete, name="contact-delete"),
    path("<int:pk>/team/new/", views_team.team_add, name="team-add"),
    path("<int:pk>/team/<int:row_id>/edit/", views_team.team_edit, name="team-edit"),
    path("<int:pk>/team/<int:row_id>/remove/", views_team.team_remove, name="team-remove"),
]
