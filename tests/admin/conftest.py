import pytest
from django.test import Client

from organizations.services import user_make_site_administrator
from tests.factories import UserFactory


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def erin(cast):
    """Owner of bigcorp (acme) — the enterprise owner under test."""
    return client_for(cast.erin)


@pytest.fixture
def oscar(cast):
    """Owner of othercorp (globex)."""
    return client_for(cast.oscar)


@pytest.fixture
def root(cast):
    return client_for(user_make_site_administrator(user=UserFactory(username="root")))
