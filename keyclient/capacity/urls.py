from django.urls import path

from keyclient.capacity import views

app_name = "capacity"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clients/", views.client_list, name="clients"),
    path("rms/", views.rm_list, name="rms"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("norms/", views.norms_list, name="norms"),
    path("norms/draft/", views.norms_draft, name="norms-draft"),
    path("norms/<int:norms>/publish/", views.norms_publish, name="norms-publish"),
]
