"""The product's URLs and django-oauth-toolkit's introspection endpoint (benchmarks only)."""

from django.urls import path
from oauth2_provider.views import IntrospectTokenView

from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    *product_urlpatterns,
    path("o/introspect/", IntrospectTokenView.as_view(), name="oauth2-introspect"),
]
