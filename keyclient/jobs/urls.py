from django.urls import path

from keyclient.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("intake/", views.intake_start, name="intake"),
    path("<int:job>/", views.job_detail, name="detail"),
    path("<int:job>/retry/", views.job_retry, name="retry"),
]
