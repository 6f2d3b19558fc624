from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("keyclient.customers.api.urls")),
    path("", include("keyclient.products.api.urls")),
    path("", include("keyclient.relationships.api.urls")),
    path("", include("keyclient.valuation.api.urls")),
    path("", include("keyclient.coverage.api.urls")),
    path("", include("keyclient.capacity.api.urls")),
    path("", include("keyclient.org.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
