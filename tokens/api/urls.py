from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("v1/access/check", views.AccessCheckApi.as_view(), name="api-access-check"),
    path("v1/access/check-batch", views.AccessCheckBatchApi.as_view(), name="api-access-check-batch"),
    path("v1/introspect", views.IntrospectApi.as_view(), name="api-introspect"),
    path("v3/", include("tokens.api.v3.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
