"""The benchmark's URLs (bench/settings.py): its reference endpoints, the product's, and DOT's introspection.

The reference endpoints come first, so that resolving them costs the least
any URL here can: the ceiling they measure must not carry the longer search
of a later URL. The product's own URL configuration never imports bench.
"""

from django.urls import path
from oauth2_provider.views import IntrospectTokenView

from config.urls import urlpatterns as product_urlpatterns

from .views import AuthenticatedConstantApi, ConstantApi

urlpatterns = [
    path("bench/constant", ConstantApi.as_view()),
    path("bench/authenticated-constant", AuthenticatedConstantApi.as_view()),
    *product_urlpatterns,
    path("o/introspect/", IntrospectTokenView.as_view(), name="oauth2-introspect"),
]
