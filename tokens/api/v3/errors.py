"""Errors as GitHub writes them: basic-error ``{"message", "documentation_url"}``, validation-error adds ``errors``."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status

from tokens.api.errors import exception_handler

from .negotiation import GitHubErrorBody

DOCS = "https://docs.github.com/rest/orgs/personal-access-tokens"


class ValidationFailed(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Validation Failed"

    def __init__(self, errors):
        super().__init__(self.default_detail)
        self.errors = errors


def github_exception_handler(exc, context):
    if isinstance(exc, exceptions.ValidationError):
        exc = ValidationFailed(exc.detail)
    elif isinstance(exc, DjangoValidationError):  # a service refused the input: GitHub's 422 too
        exc = ValidationFailed(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, GitHubErrorBody):
        response.data = exc.body
        return response
    data = response.data if isinstance(response.data, dict) else {}
    # One 404 body for every missing thing (DRF's Http404 says "Not found."),
    # so a hidden organization reads exactly like an absent one.
    message = "Not Found" if response.status_code == status.HTTP_404_NOT_FOUND else str(data.get("detail", "Error"))
    body = {"message": message, "documentation_url": getattr(context.get("view"), "documentation_url", DOCS)}
    if isinstance(exc, ValidationFailed):
        body["errors"] = list(_error_list(exc.errors))
    response.data = body
    return response


def _error_list(detail, field=None):
    """DRF's nested error detail as GitHub's list of ``{field, code, message}``."""
    if isinstance(detail, dict):
        for name, inner in detail.items():
            yield from _error_list(inner, name if field is None else f"{field}.{name}")
    elif isinstance(detail, list):
        for inner in detail:
            yield from _error_list(inner, field)
    else:
        error = {"field": field, "code": getattr(detail, "code", "invalid"), "message": str(detail)}
        if field is None:
            del error["field"]  # validation-error's field is a string when present
        yield error
