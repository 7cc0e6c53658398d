"""A bare DRF view returning a constant: the stack's ceiling for the benchmark.

Served only by the benchmark's URL configuration (bench/urls.py, chosen by bench/settings.py).
"""

from rest_framework.response import Response
from rest_framework.views import APIView

from tokens.api.views import ApiClientView


class ConstantApi(APIView):
    """No authentication, no throttle, no database: DRF itself."""

    authentication_classes = []
    permission_classes = []

    def post(self, request):
        return Response({"allowed": True})


class AuthenticatedConstantApi(ApiClientView):
    """The check API's authentication and throttle, then a constant."""

    def post(self, request):
        return Response({"allowed": True})
