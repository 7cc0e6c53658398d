import pytest

from tests.conftest import api_for
from tests.factories import classic_token, fine_grained_token, pending_request


@pytest.fixture
def classic_owner_api(cast):
    return api_for(classic_token(cast.olga, scopes=["admin:org"]).plaintext, scheme="token")


def request_for(user, cast, **kwargs):
    kwargs.setdefault("permissions", {"contents": "read"})
    kwargs.setdefault("repository_access", "all")
    return pending_request(fine_grained_token(user, resource_owner=cast.acme, **kwargs).token)
