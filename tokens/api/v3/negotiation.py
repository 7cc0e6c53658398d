"""What GitHub's clients send and expect on the wire: media types and API versions.

GitHub's documentation tells every client to send ``Accept:
application/vnd.github+json`` and ``X-GitHub-Api-Version``; its answers are
``application/json; charset=utf-8`` whatever GitHub media type was asked for.
"""

import re

from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer

# GitHub's dated REST API versions, newest first (githubkit 0.16.1 knows these
# two). The eight operations answer the same shapes in both.
API_VERSIONS = ("2026-03-10", "2022-11-28")
DEFAULT_API_VERSION = "2022-11-28"  # what GitHub selects when the header is missing
# What requested_api_version accepts, for the OpenAPI description (versions need no escaping).
API_VERSION_PATTERN = rf"^[ \t]*({'|'.join(API_VERSIONS)})?[ \t]*$"

_JSON_MEDIA_RANGE = re.compile(r"\*/\*|application/\*|application/json|application/vnd\.github(\.[a-z0-9.-]+)?\+json")


class GitHubErrorBody(APIException):
    """An error GitHub answers with a body of its own shape, rendered as is."""

    def __init__(self, body: dict):
        super().__init__(body["message"])
        self.body = body


class UnsupportedAcceptHeader(GitHubErrorBody):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE


class UnsupportedApiVersion(GitHubErrorBody):
    status_code = status.HTTP_400_BAD_REQUEST


class GitHubJSONRenderer(JSONRenderer):
    charset = "utf-8"  # GitHub's Content-Type names it


class GitHubContentNegotiation(DefaultContentNegotiation):
    """JSON for ``application/json``, any ``application/vnd.github…+json``, ``*/*`` or no Accept at all."""

    def select_renderer(self, request, renderers, format_suffix=None):
        header = request.META.get("HTTP_ACCEPT", "").strip()
        if header and not any(_accepts_json(media_range) for media_range in header.split(",")):
            raise UnsupportedAcceptHeader(
                {
                    "message": f"Unsupported 'Accept' header: '{header}'. Must accept 'application/json'.",
                    "documentation_url": "https://docs.github.com/v3/media",
                    "status": "415",
                }
            )
        renderer = renderers[0]
        return renderer, renderer.media_type


def _accepts_json(media_range: str) -> bool:
    media_type, *parameters = (part.strip() for part in media_range.split(";"))
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q" and _quality(value) == 0:
            return False
    return _JSON_MEDIA_RANGE.fullmatch(media_type.lower()) is not None


def _quality(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 1.0


def requested_api_version(request) -> str:
    """The ``X-GitHub-Api-Version`` asked for, GitHub's default without one; 400 for any other."""
    requested = request.META.get("HTTP_X_GITHUB_API_VERSION", "")
    version = requested.strip(" \t")  # HTTP's optional whitespace; blank is as missing, as on GitHub
    if not version:
        return DEFAULT_API_VERSION
    if version in API_VERSIONS:
        return version
    newest, *others = API_VERSIONS
    supported = _sentence([f'"{newest}" (most recent)', *(f'"{other}"' for other in others)])
    raise UnsupportedApiVersion(
        {
            "message": "Bad Request",
            "errors": (
                f'The version you specified in the "X-GitHub-API-Version" request header, "{requested}",'
                f" is not a supported version. The following versions are currently supported: {supported}."
            ),
            "documentation_url": "https://docs.github.com/rest",
            "status": "400",
        }
    )


def _sentence(items: list[str]) -> str:
    """Items as a sentence, the way GitHub lists its versions: "a and b", "a, b, and c"."""
    if len(items) <= 2:
        return " and ".join(items)
    return f"{', '.join(items[:-1])}, and {items[-1]}"
