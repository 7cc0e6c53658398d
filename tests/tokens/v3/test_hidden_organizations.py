"""An organization the caller may not see answers exactly as one that does not exist."""

import pytest

from tests.conftest import OWNER_PERMISSIONS, api_for
from tests.factories import OrganizationFactory, classic_token, fine_grained_token

MISSING = "nosuchorg"


def both(api, path: str, org: str, method="get", **kwargs):
    """The answers for `org` and for an organization that does not exist, at the same path."""
    call = getattr(api, method)
    return call(path.format(org=org), **kwargs), call(path.format(org=MISSING), **kwargs)


@pytest.fixture
def outsider_api(cast):
    """mallory, of another tenant, with a classic token that could administer any of her organizations."""
    return api_for(classic_token(cast.mallory, scopes=["admin:org"]).plaintext)


@pytest.fixture
def acme_labs(cast):
    """A second organization olga owns, in the same enterprise as acme."""
    return OrganizationFactory(login="acme-labs", enterprise=cast.bigcorp, owners=[cast.olga])


@pytest.mark.parametrize("collection", ["personal-access-token-requests", "personal-access-tokens"])
def test_an_organization_the_caller_is_not_in_reads_exactly_as_a_missing_one(outsider_api, collection):
    hidden, missing = both(outsider_api, f"/api/v3/orgs/{{org}}/{collection}", "acme")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert hidden.json()["message"] == "Not Found"


def test_a_write_to_an_organization_the_caller_is_not_in_reads_exactly_as_a_missing_one(outsider_api):
    body = {"pat_ids": [1], "action": "revoke"}
    hidden, missing = both(
        outsider_api, "/api/v3/orgs/{org}/personal-access-tokens", "acme", method="post", data=body, format="json"
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_a_token_made_for_another_organization_reads_it_as_missing(cast, acme_labs):
    acme_token = fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS).plaintext
    hidden, missing = both(api_for(acme_token), "/api/v3/orgs/{org}/personal-access-tokens", "acme-labs")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_a_token_made_for_another_organization_learns_nothing_of_its_policy(cast, acme_labs):
    cast.bigcorp.fine_grained_access = "restrict"
    cast.bigcorp.save()
    acme_token = fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS).plaintext
    hidden, missing = both(api_for(acme_token), "/api/v3/orgs/{org}/personal-access-token-requests", "acme-labs")
    assert hidden.content == missing.content
