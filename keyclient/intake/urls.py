from django.urls import path

from keyclient.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("<int:intake_job>/rejects/", views.job_rejects, name="rejects"),
]
