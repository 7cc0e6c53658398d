"""GitHub's paths, without trailing slashes (behaviour §5.5)."""

import re

from django.urls import path, register_converter

from . import views

MAX_ID = 2**63 - 1  # the largest id a column holds


class GitHubIdConverter:
    """Any segment where an id goes: one that is not an id names nothing, so the view answers GitHub's 404.

    Django's ``int`` converter would let such a path miss the route, and the
    site's HTML 404 answer instead of the API's JSON.
    """

    regex = "[^/]+"

    def to_python(self, value: str) -> int | None:
        if re.fullmatch("[0-9]{1,19}", value) and int(value) <= MAX_ID:
            return int(value)
        return None  # matches no row

    def to_url(self, value) -> str:
        return str(value)


register_converter(GitHubIdConverter, "github_id")

ORG = "orgs/<str:org>"

urlpatterns = [
    path("credentials/revoke", views.CredentialsRevokeApi.as_view(), name="api-v3-credentials-revoke"),
    path(f"{ORG}/personal-access-token-requests", views.AccessRequestListApi.as_view(), name="api-v3-pat-requests"),
    path(
        f"{ORG}/personal-access-token-requests/<github_id:pk>",
        views.AccessRequestReviewApi.as_view(),
        name="api-v3-pat-request",
    ),
    path(
        f"{ORG}/personal-access-token-requests/<github_id:pk>/repositories",
        views.AccessRequestRepositoriesApi.as_view(),
        name="api-v3-pat-request-repositories",
    ),
    path(f"{ORG}/personal-access-tokens", views.GrantListApi.as_view(), name="api-v3-pats"),
    path(f"{ORG}/personal-access-tokens/<github_id:pk>", views.GrantRevokeApi.as_view(), name="api-v3-pat"),
    path(
        f"{ORG}/personal-access-tokens/<github_id:pk>/repositories",
        views.GrantRepositoriesApi.as_view(),
        name="api-v3-pat-repositories",
    ),
]
