"""POST /api/v1/introspect — RFC 7662 (behaviour §5.4)."""

from urllib.parse import urlencode

from tests.factories import classic_token, fine_grained_token
from tokens.choices import CredentialType
from tokens.engine import credentials

INTROSPECT = "/api/v1/introspect"


def test_active_fine_grained_token_describes_itself(api, cast):
    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, permissions={"issues": "write", "contents": "read"}
    )
    answer = api.post(INTROSPECT, {"token": issued.plaintext}, format="json").json()
    assert answer == {
        "active": True,
        "token_type": "fine_grained",
        "username": "alice",
        "iat": int(issued.token.issued_at.timestamp()),
        "exp": int(issued.token.expires_at.timestamp()),
        "scope": "contents:read issues:write",
        "resource_owner": "acme",
    }


def test_form_encoded_request_is_accepted(api, cast):
    issued = classic_token(cast.alice, scopes=["repo", "read:org"], expires_in_days=None)
    form = urlencode({"token": issued.plaintext, "token_type_hint": "access_token"})
    answer = api.post(INTROSPECT, form, content_type="application/x-www-form-urlencoded").json()
    assert answer["active"] is True
    assert answer["scope"] == "read:org repo"
    assert "exp" not in answer


def test_unusable_tokens_are_inactive_and_nothing_more(api, cast):
    revoked = classic_token(cast.alice, scopes=["repo"], revoked=True)
    expired = classic_token(cast.alice, scopes=["repo"], expired=True)
    suspended = classic_token(cast.mallory, scopes=["repo"])
    cast.mallory.is_active = False
    cast.mallory.save()
    unknown = credentials.generate(CredentialType.CLASSIC)
    for token in (revoked.plaintext, expired.plaintext, suspended.plaintext, unknown, "garbage", ""):
        response = api.post(INTROSPECT, {"token": token}, format="json")
        assert response.json() == {"active": False} or response.status_code == 400, token


def test_missing_token_answers_400(api, cast):
    response = api.post(INTROSPECT, {}, format="json")
    assert response.status_code == 400
    assert "token" in response.json()


def test_introspection_needs_an_api_client(anonymous_api, cast):
    assert anonymous_api.post(INTROSPECT, {"token": "x"}, format="json").status_code == 401
