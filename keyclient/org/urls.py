from django.urls import path

from keyclient.org import views

app_name = "org"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("units/<int:unit>/", views.unit_detail, name="unit"),
    path("units/<int:unit>/close/", views.unit_close, name="unit-close"),
    path("teams/<int:team>/", views.team_detail, name="team"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:staff>/", views.user_detail, name="user"),
    path("users/<int:staff>/deactivate/", views.user_deactivate, name="user-deactivate"),
    path("users/<int:staff>/reactivate/", views.user_reactivate, name="user-reactivate"),
]
