from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

# What gateways call thousands of times a second. config/urls.py lists these
# first, at the top level rather than under include("api/"): every resolver a
# URL is found through costs each request a measurable share of a check.
check_urlpatterns = [
    path("api/v1/access/check", views.AccessCheckApi.as_view(), name="api-access-check"),
    path("api/v1/access/check-batch", views.AccessCheckBatchApi.as_view(), name="api-access-check-batch"),
    path("api/v1/introspect", views.IntrospectApi.as_view(), name="api-introspect"),
    path("api/v1/access/forward-auth", views.ForwardAuthApi.as_view(), name="api-forward-auth"),
    path(
        "api/v1/access/forward-auth/<path:suffix>", views.EnvoyForwardAuthApi.as_view(), name="api-forward-auth-envoy"
    ),
]

# The rest, under api/.
urlpatterns = [
    path("v1/tokens/rotate", views.TokenRotateApi.as_view(), name="api-token-rotate"),
    path("v3/", include("tokens.api.v3.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from ?script rather than inline (CSP).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]
