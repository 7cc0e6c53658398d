import pytest
from rest_framework.test import APIClient

from tests.factories import classic_token, fine_grained_token, pending_request

OWNER_PERMISSIONS = {
    "organization_personal_access_token_requests": "write",
    "organization_personal_access_tokens": "write",
}


def api_for(plaintext, scheme="Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {plaintext}")
    return client


@pytest.fixture
def owner_api(cast):
    """olga's own fine-grained token for acme, as an owner would make it (auto-approved)."""
    return api_for(fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS).plaintext)


@pytest.fixture
def classic_owner_api(cast):
    return api_for(classic_token(cast.olga, scopes=["admin:org"]).plaintext, scheme="token")


def request_for(user, cast, **kwargs):
    kwargs.setdefault("permissions", {"contents": "read"})
    kwargs.setdefault("repository_access", "all")
    return pending_request(fine_grained_token(user, resource_owner=cast.acme, **kwargs).token)
