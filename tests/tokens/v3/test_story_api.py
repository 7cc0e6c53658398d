"""The queue driven entirely through the v3 API with an owner's own token."""

from tests.factories import fine_grained_token
from tokens.engine.access import check
from tokens.engine.facts import CheckInput, parse_resource

REQUESTS = "/api/v3/orgs/acme/personal-access-token-requests"
TOKENS = "/api/v3/orgs/acme/personal-access-tokens"


def decide(plaintext, resource):
    return check(CheckInput(parse_resource(resource), "contents", "read", token=plaintext)).decision


def test_list_approve_check_revoke_through_the_api(owner_api, cast):
    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    assert decide(issued.plaintext, "acme/web").reason == "approval_pending"

    (item,) = owner_api.get(REQUESTS, {"owner[]": "alice"}).json()
    review = {"pat_request_ids": [item["id"]], "action": "approve"}
    assert owner_api.post(REQUESTS, review, format="json").status_code == 202
    assert decide(issued.plaintext, "acme/web").allowed

    grants = owner_api.get(TOKENS, {"token_id[]": issued.token.pk}).json()
    (grant,) = grants
    assert owner_api.post(f"{TOKENS}/{grant['id']}", {"action": "revoke"}, format="json").status_code == 204
    assert decide(issued.plaintext, "acme/web").reason == "access_revoked"
    assert decide(issued.plaintext, "acme/docs").reason == "public_read"
    assert owner_api.get(TOKENS, {"token_id[]": issued.token.pk}).json() == []
