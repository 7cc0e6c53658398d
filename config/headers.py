"""Response headers beyond Django's own (issue 16).

django-csp's Content-Security-Policy on every page; Permissions-Policy on every
response; `Cache-Control: no-store` on every response to a signed-in session
and on every API answer that carries token data, so that no browser, proxy or
shared cache keeps a copy. Cheap enough for the check API's hot path: constant
headers, one prefix test, and the session looked at only when the request sent
a session cookie.
"""

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.utils.cache import patch_cache_control

# Features no Patrol page uses; a script injected anyway cannot reach them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)

# v1 check, check-batch and introspect; every v3 answer (grants, requests, tokens' owners).
TOKEN_DATA_PREFIXES = ("/api/v1/", "/api/v3/")

# These APIs answer only JSON, which loads nothing and is framed by no one.
JSON_API_POLICY = "default-src 'none'; frame-ancestors 'none'"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with a constant policy for the JSON APIs.

    django-csp builds the policy from the settings on every response (~20 µs,
    close to a tenth of a check); the APIs' answers need no per-page policy.
    """

    def process_request(self, request):
        if not request.path_info.startswith(TOKEN_DATA_PREFIXES):
            super().process_request(request)

    def process_response(self, request, response):
        if request.path_info.startswith(TOKEN_DATA_PREFIXES):
            response.headers["Content-Security-Policy"] = JSON_API_POLICY
            return response
        return super().process_response(request, response)


def _signed_in(request) -> bool:
    # Without a session cookie there is no session to load: the check API never pays for one.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class ResponseHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.path_info.startswith(TOKEN_DATA_PREFIXES) or _signed_in(request):
            if "Cache-Control" in response.headers:
                patch_cache_control(response, no_store=True)
            else:
                response.headers["Cache-Control"] = "no-store"
        return response
