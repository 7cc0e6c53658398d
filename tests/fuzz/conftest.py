import pytest
from rest_framework.test import APIClient

from tests.factories import fine_grained_token
from tests.v3.conftest import OWNER_PERMISSIONS
from tokens.services import api_client_create


def client_with(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def api(db):
    """An API client's secret, as for the v1 API."""
    return client_with(api_client_create(name="gateway").plaintext)


@pytest.fixture
def owner_api(cast):
    """olga's own fine-grained token for acme, as for the v3 API."""
    return client_with(fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS).plaintext)
