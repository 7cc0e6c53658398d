"""The whole story through the pages: create, pending, approve, allowed, revoke, public read."""

from tests.tokens.pages.conftest import plaintext_in
from tokens.engine.access import check
from tokens.engine.facts import CheckInput, parse_resource
from tokens.models import FineGrainedToken, Grant


def decide(plaintext, resource, permission, level="read"):
    return check(CheckInput(parse_resource(resource), permission, level, token=plaintext)).decision


def test_create_approve_check_revoke_and_fall_back_to_public_read(client, cast):
    client.force_login(cast.alice)
    response = client.post(
        "/settings/tokens/new/",
        {
            "name": "deploy",
            "resource_owner": "acme",
            "repository_access": "all",
            "permission_contents": "read",
            "expiration": "30",
            "justification": "deploys",
        },
    )
    plaintext = plaintext_in(response)
    token = FineGrainedToken.objects.get(name="deploy")
    pending = decide(plaintext, "acme/web", "contents")
    assert pending.reason == "approval_pending"
    assert "Pending" in client.get("/settings/tokens/").content.decode()

    client.force_login(cast.olga)
    request_id = pending.request_id
    client.post(f"/orgs/acme/settings/personal-access-tokens/requests/{request_id}/", {"action": "approve"})
    assert decide(plaintext, "acme/web", "contents").allowed

    grant = Grant.objects.get(token=token)
    client.post(f"/orgs/acme/settings/personal-access-tokens/active/{grant.pk}/")
    assert decide(plaintext, "acme/web", "contents").reason == "access_revoked"
    assert decide(plaintext, "acme/docs", "contents").reason == "public_read"
