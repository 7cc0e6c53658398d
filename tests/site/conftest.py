import pytest

from tests.conftest import client_for


@pytest.fixture
def olga(cast):
    """Owner of acme (in bigcorp)."""
    return client_for(cast.olga)


@pytest.fixture
def uma(cast):
    """Owner of umbrella, a standalone organization."""
    return client_for(cast.uma)
