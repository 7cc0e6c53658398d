"""The site's error pages, and JSON errors on the APIs (config/urls.py's handler400 … handler500).

Outside the APIs, Django's own handlers render templates/400.html,
403.html, 404.html and 500.html. Under /api/ the same errors answer JSON, as
every API error does: ``{"detail"}`` on v1, GitHub's ``{"message",
"documentation_url"}`` on v3. These answer what no view handled: an unknown
URL, a NUL character refused by config.middleware, a crash.
"""

from django.core.exceptions import BadRequest
from django.http import HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.views import defaults

API_PREFIX = "/api/"
GITHUB_PREFIX = "/api/v3/"
GITHUB_DOCS = "https://docs.github.com/rest"


class BadRequestWithReason(BadRequest):
    """A 400 whose message is written for the client (Django shows other 400s' messages to no one)."""


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _api_error(request, status: int, message: str) -> JsonResponse:
    if request.path.startswith(GITHUB_PREFIX):
        return JsonResponse({"message": message, "documentation_url": GITHUB_DOCS}, status=status)
    return JsonResponse({"detail": message}, status=status)


def bad_request(request, exception):
    reason = str(exception) if isinstance(exception, BadRequestWithReason) else None
    if is_api(request):
        return _api_error(request, 400, reason or "Bad Request")
    if reason is None:
        return defaults.bad_request(request, exception)
    # Without the request, as Django's own handler: its context processors
    # would read the session, and the cookie may be what was refused.
    return HttpResponseBadRequest(loader.render_to_string("400.html", {"reason": reason}))


def permission_denied(request, exception):
    if not is_api(request):
        return defaults.permission_denied(request, exception)
    return _api_error(request, 403, "Forbidden")


def page_not_found(request, exception):
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return _api_error(request, 404, "Not Found")


def server_error(request):
    if not is_api(request):
        return defaults.server_error(request)
    return _api_error(request, 500, "Server Error")
