import pytest

from tests.conftest import api_for
from tests.factories import classic_token


@pytest.fixture
def classic_owner_api(cast):
    return api_for(classic_token(cast.olga, scopes=["admin:org"]).plaintext, scheme="token")
