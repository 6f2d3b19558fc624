from django.urls import include, path

urlpatterns = [
    path("", include("keyclient.core.urls")),
    path("clients/", include("keyclient.customers.urls")),
    path("api/", include("keyclient.config.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
