"""Refuse NUL characters anywhere in a request, before any view or query sees them (issue 16).

PostgreSQL text cannot hold NUL: a path (``/orgs/%00/…``), a query string
(the admin's ``?q=%00``), a header, a cookie or a form field holding one
would reach a query and raise DataError, a 500. Refused here, it is a 400:
JSON on the APIs, the site's own 400 page elsewhere (config/views.py). API
bodies are left to their parsers and fields (tokens/api/parsers.py).
"""

from config.views import BadRequestWithReason, is_api

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PLACES = {"PATH_INFO": "the URL path", "QUERY_STRING": "the query string", "HTTP_COOKIE": "a cookie"}


def nul_place(request) -> str | None:
    """Where the request holds a NUL character, or None."""
    meta = request.META
    for name, value in meta.items():  # the path, the query string and every header, as sent
        if type(value) is str and "\x00" in value:
            return PLACES.get(name, f"the {name.removeprefix('HTTP_').replace('_', '-').title()} header")
    if "%00" in meta.get("QUERY_STRING", ""):
        return PLACES["QUERY_STRING"]
    # A quoted cookie value may spell NUL as an octal escape ("\000").
    if "\\" in meta.get("HTTP_COOKIE", "") and any("\x00" in value for value in request.COOKIES.values()):
        return PLACES["HTTP_COOKIE"]
    # The APIs parse their own bodies (DRF); reading the form here would take that from them.
    if request.method == "POST" and request.content_type in FORM_TYPES and not is_api(request):
        for name, values in request.POST.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return "a form field"
    return None


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        place = nul_place(request)
        if place is not None:
            raise BadRequestWithReason(f"NUL character in {place}.")
        return self.get_response(request)
