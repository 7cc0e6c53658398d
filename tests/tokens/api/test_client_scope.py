"""An API client created for an enterprise learns nothing outside it (issue 16, point 5).

A check on a resource outside the enterprise answers exactly as one on a
resource that does not exist; introspection of a token whose holder is not in
the enterprise answers ``{"active": false}``. Site-wide clients are unchanged.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.services import membership_remove
from tests.conftest import api_for
from tests.factories import UserFactory, api_client, classic_token

CHECK = "/api/v1/access/check"
BATCH = "/api/v1/access/check-batch"
INTROSPECT = "/api/v1/introspect"

# Resources outside bigcorp, with a permission of their kind.
OUTSIDE = [
    pytest.param("globex/plans", "contents:read", id="another enterprise's repository"),
    pytest.param("globex", "members:read", id="another enterprise's organization"),
    pytest.param("umbrella", "members:read", id="a standalone organization"),
    pytest.param("alice/dotfiles", "contents:read", id="a user's repository"),
    pytest.param("alice", "keys:read", id="a user's account"),
    pytest.param("enterprise:othercorp", "enterprise_administration:read", id="another enterprise"),
]
INSIDE = [
    pytest.param("acme/web", "contents:read", id="its organization's repository"),
    pytest.param("acme", "members:read", id="its organization"),
    pytest.param("enterprise:bigcorp", "enterprise_administration:read", id="itself"),  # alice does not own it
]
MISSING = {"contents:read": "acme/nothing", "members:read": "nothing", "keys:read": "nobody"}


@pytest.fixture
def bigcorp_api(cast):
    return api_for(api_client("bigcorp-gateway", enterprise=cast.bigcorp).plaintext)


@pytest.fixture
def token(cast):
    """alice's classic token, whose scopes cover every permission asked here."""
    scopes = ["repo", "read:org", "read:public_key", "read:enterprise"]
    return classic_token(cast.alice, scopes=scopes, expires_in_days=None).plaintext


def ask(client, token, resource, permission) -> dict:
    body = {"token": token, "resource": resource, "permission": permission, "explain": True}
    response = client.post(CHECK, body, format="json")
    assert response.status_code == 200
    return response.json()


def as_missing(client, token, resource, permission) -> dict:
    """The answer for a resource of this kind that does not exist, under `resource`'s name."""
    missing = "enterprise:no-such" if permission.startswith("enterprise_") else MISSING[permission]
    answer = ask(client, token, missing, permission)
    assert answer["reason"] == "resource_not_found"
    return {**answer, "message": answer["message"].replace(missing, resource)}


@pytest.mark.parametrize(("resource", "permission"), OUTSIDE)
def test_a_check_outside_its_enterprise_answers_as_for_a_missing_resource(
    api, bigcorp_api, token, resource, permission
):
    assert ask(api, token, resource, permission)["reason"] != "resource_not_found"  # a site-wide client learns more
    assert ask(bigcorp_api, token, resource, permission) == as_missing(bigcorp_api, token, resource, permission)


@pytest.mark.parametrize(("resource", "permission"), INSIDE)
def test_a_check_inside_its_enterprise_answers_as_for_a_site_wide_client(api, bigcorp_api, token, resource, permission):
    answer = ask(bigcorp_api, token, resource, permission)
    assert answer["reason"] != "resource_not_found"
    assert answer == ask(api, token, resource, permission)


@pytest.mark.parametrize(("resource", "permission"), OUTSIDE)
def test_a_check_outside_its_enterprise_does_not_say_whose_token_it_is(bigcorp_api, token, resource, permission):
    assert ask(bigcorp_api, token, resource, permission)["token"] is None


def test_a_check_inside_its_enterprise_says_whose_token_it_is(bigcorp_api, token):
    assert ask(bigcorp_api, token, "acme/web", "contents:read")["token"]["user"] == "alice"


def test_a_batch_answers_outside_its_enterprise_as_for_missing_resources(bigcorp_api, token):
    checks = [{"token": token, "resource": p.values[0], "permission": p.values[1]} for p in OUTSIDE + INSIDE]
    results = bigcorp_api.post(BATCH, {"checks": checks}, format="json").json()["results"]
    singles = [bigcorp_api.post(CHECK, check, format="json").json() for check in checks]
    assert results == singles
    outside, inside = results[: len(OUTSIDE)], results[len(OUTSIDE) :]
    assert all(result["reason"] == "resource_not_found" for result in outside)
    assert not any(result["reason"] == "resource_not_found" for result in inside)


def test_a_cold_check_of_an_enterprise_client_costs_at_most_three_queries(bigcorp_api, token):
    ask(bigcorp_api, token, "acme/web", "contents:read")  # warm-up: one-off backend probes, last uses
    for resource in ("acme/web", "globex/plans"):
        with CaptureQueriesContext(connection) as queries:
            ask(bigcorp_api, token, resource, "contents:read")
        assert len(queries) <= 3, [query["sql"] for query in queries]


@pytest.mark.parametrize(("resource", "permission"), [OUTSIDE[0], INSIDE[0]])
def test_a_warm_check_of_an_enterprise_client_makes_no_query(settings, bigcorp_api, token, resource, permission):
    settings.PATROL_FACTS_CACHE = True
    first = ask(bigcorp_api, token, resource, permission)
    with CaptureQueriesContext(connection) as queries:
        again = ask(bigcorp_api, token, resource, permission)
    assert len(queries) == 0
    assert again == first


def test_a_held_decision_for_a_site_wide_client_is_not_given_to_an_enterprise_client(settings, api, bigcorp_api, token):
    settings.PATROL_FACTS_CACHE = True
    assert ask(api, token, "globex/plans", "contents:read")["reason"] == "user_lacks_access"
    assert ask(bigcorp_api, token, "globex/plans", "contents:read")["reason"] == "resource_not_found"


def introspect(client, token) -> dict:
    response = client.post(INTROSPECT, {"token": token}, format="json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("holder", ["mallory", "uma", "oscar"])
def test_introspecting_a_token_whose_holder_is_not_in_its_enterprise_answers_inactive(api, bigcorp_api, cast, holder):
    issued = classic_token(getattr(cast, holder), scopes=["repo"])
    assert introspect(api, issued.plaintext)["active"] is True
    assert introspect(bigcorp_api, issued.plaintext) == {"active": False}


def test_introspecting_a_member_of_its_organizations_answers_as_for_a_site_wide_client(api, bigcorp_api, cast):
    issued = classic_token(cast.alice, scopes=["repo"])
    assert introspect(bigcorp_api, issued.plaintext) == introspect(api, issued.plaintext)
    assert introspect(bigcorp_api, issued.plaintext)["active"] is True


def test_introspecting_a_user_the_enterprise_manages_answers_active(bigcorp_api, cast):
    managed = UserFactory(username="emu_carol", managed_by=cast.bigcorp)  # a member of no organization
    assert introspect(bigcorp_api, classic_token(managed, scopes=["repo"]).plaintext)["active"] is True


def test_a_holder_who_leaves_the_enterprise_is_inactive_from_the_next_introspection(settings, bigcorp_api, cast):
    settings.PATROL_FACTS_CACHE = True
    issued = classic_token(cast.alice, scopes=["repo"])
    assert introspect(bigcorp_api, issued.plaintext)["active"] is True
    membership_remove(organization=cast.acme, user=cast.alice, actor=cast.olga)
    assert introspect(bigcorp_api, issued.plaintext) == {"active": False}


def test_a_warm_introspection_of_an_enterprise_client_makes_no_query(settings, bigcorp_api, cast):
    settings.PATROL_FACTS_CACHE = True
    issued = classic_token(cast.alice, scopes=["repo"])
    introspect(bigcorp_api, issued.plaintext)
    with CaptureQueriesContext(connection) as queries:
        assert introspect(bigcorp_api, issued.plaintext)["active"] is True
    assert len(queries) == 0


def test_a_cold_introspection_of_an_enterprise_client_costs_at_most_three_queries(bigcorp_api, cast):
    """The client, the token, and whether its holder is in the enterprise."""
    issued = classic_token(cast.alice, scopes=["repo"])
    introspect(bigcorp_api, classic_token(cast.olga, scopes=["repo"]).plaintext)  # warm-up: one-off probes, last use
    with CaptureQueriesContext(connection) as queries:
        assert introspect(bigcorp_api, issued.plaintext)["active"] is True
    assert len(queries) <= 3, [query["sql"] for query in queries]
