"""GitHub's paths, without trailing slashes (SPEC §5.5)."""

from django.urls import path

from . import views

ORG = "orgs/<str:org>"

urlpatterns = [
    path(f"{ORG}/personal-access-token-requests", views.AccessRequestListApi.as_view(), name="api-v3-pat-requests"),
    path(
        f"{ORG}/personal-access-token-requests/<int:pk>",
        views.AccessRequestReviewApi.as_view(),
        name="api-v3-pat-request",
    ),
    path(
        f"{ORG}/personal-access-token-requests/<int:pk>/repositories",
        views.AccessRequestRepositoriesApi.as_view(),
        name="api-v3-pat-request-repositories",
    ),
    path(f"{ORG}/personal-access-tokens", views.GrantListApi.as_view(), name="api-v3-pats"),
    path(f"{ORG}/personal-access-tokens/<int:pk>", views.GrantRevokeApi.as_view(), name="api-v3-pat"),
    path(
        f"{ORG}/personal-access-tokens/<int:pk>/repositories",
        views.GrantRepositoriesApi.as_view(),
        name="api-v3-pat-repositories",
    ),
]
