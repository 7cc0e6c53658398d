import pytest
from rest_framework.test import APIClient

from tokens.services import api_client_create


@pytest.fixture
def gateway(db):
    """An API client's secret, as create_api_client prints it."""
    return api_client_create(name="gateway").plaintext


@pytest.fixture
def api(gateway):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {gateway}")
    return client


@pytest.fixture
def anonymous_api():
    return APIClient()
