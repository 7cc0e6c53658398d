import pytest

from tests.conftest import api_for
from tests.factories import AccessRequestFactory, classic_token


@pytest.fixture
def classic_owner_api(cast):
    return api_for(classic_token(cast.olga, scopes=["admin:org"]).plaintext, scheme="token")


def request_for(user, cast, **kwargs):
    kwargs.setdefault("permissions", {"contents": "read"})
    kwargs.setdefault("repository_access", "all")
    return AccessRequestFactory(user=user, organization=cast.acme, **kwargs)
