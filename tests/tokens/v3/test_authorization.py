"""The v3 API authorizes with the decision engine itself (behaviour §5.5)."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import OWNER_PERMISSIONS, api_for
from tests.factories import classic_token, fine_grained_token

REQUESTS = "/api/v3/orgs/acme/personal-access-token-requests"
TOKENS = "/api/v3/orgs/acme/personal-access-tokens"


def test_no_credentials_is_401_with_a_bearer_challenge(cast):
    response = APIClient().get(REQUESTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"message", "documentation_url"}


def test_an_unknown_token_is_401(cast):
    response = api_for("patrol_fg_" + "a" * 38).get(REQUESTS)
    assert response.status_code == 401
    assert response.json()["message"] == "The credential is not valid."


def test_an_owners_fine_grained_token_may_list(owner_api):
    assert owner_api.get(REQUESTS).status_code == 200


def test_github_token_scheme_is_accepted(cast):
    plaintext = fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS).plaintext
    assert api_for(plaintext, scheme="token").get(TOKENS).status_code == 200


def test_an_owners_classic_token_with_admin_org_may_list(classic_owner_api):
    assert classic_owner_api.get(TOKENS).status_code == 200


def test_a_classic_token_without_admin_org_is_403_naming_the_scope(cast):
    plaintext = classic_token(cast.olga, scopes=["read:org"]).plaintext
    response = api_for(plaintext).get(TOKENS)
    assert response.status_code == 403
    assert "admin:org" in response.json()["message"]


def test_a_token_without_the_permission_is_403_with_the_engines_message(cast):
    plaintext = fine_grained_token(
        cast.olga, resource_owner=cast.acme, permissions={"organization_personal_access_tokens": "read"}
    ).plaintext
    response = api_for(plaintext).get(REQUESTS)
    assert response.status_code == 403
    assert response.json()["message"] == (
        "This token does not grant organization_personal_access_token_requests:read; edit the token to add it."
    )


def test_read_permission_cannot_review(cast):
    plaintext = fine_grained_token(
        cast.olga, resource_owner=cast.acme, permissions={"organization_personal_access_token_requests": "read"}
    ).plaintext
    response = api_for(plaintext).post(REQUESTS, {"pat_request_ids": [1], "action": "approve"}, format="json")
    assert response.status_code == 403


def test_a_members_token_cannot_review(cast):
    issued = fine_grained_token(cast.alice, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS)
    response = api_for(issued.plaintext).post(REQUESTS, {"pat_request_ids": [1], "action": "approve"}, format="json")
    assert response.status_code == 403


def test_a_members_approved_token_still_cannot_read_the_queue(cast):
    from tests.factories import pending_request
    from tokens import services

    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, permissions={"organization_personal_access_token_requests": "read"}
    )
    services.access_request_review(request=pending_request(issued.token), reviewer=cast.olga, approve=True)
    response = api_for(issued.plaintext).get(REQUESTS)
    assert response.status_code == 403
    assert response.json()["message"] == "You must be an owner of acme to do this."


def test_an_outsiders_token_is_404_as_for_no_organization(cast):
    plaintext = classic_token(cast.mallory, scopes=["admin:org"]).plaintext
    assert api_for(plaintext).get(REQUESTS).status_code == 404  # tests/tokens/v3/test_hidden_organizations.py


def test_an_unknown_organization_is_404(owner_api):
    response = owner_api.get("/api/v3/orgs/nosuchorg/personal-access-tokens")
    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


@pytest.mark.parametrize("org", ["enterprise:bigcorp", "-bad-"])
def test_a_malformed_organization_is_404(owner_api, org):
    assert owner_api.get(f"/api/v3/orgs/{org}/personal-access-tokens").status_code == 404


def test_a_restricting_policy_blocks_the_api_too(owner_api, cast):
    cast.bigcorp.fine_grained_access = "restrict"
    cast.bigcorp.save()
    response = owner_api.get(REQUESTS)
    assert response.status_code == 403
    assert "restricts access via fine-grained personal access tokens" in response.json()["message"]
