import pytest
from django.test import Client

from organizations.services import user_make_site_administrator
from tests.factories import UserFactory


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def olga(cast):
    """Owner of acme (in bigcorp)."""
    return client_for(cast.olga)


@pytest.fixture
def uma(cast):
    """Owner of umbrella, a standalone organization."""
    return client_for(cast.uma)


@pytest.fixture
def root(cast):
    return client_for(user_make_site_administrator(user=UserFactory(username="root")))
