"""GET /api/v1/access/forward-auth (nginx, Traefik) and …/forward-auth/<path> (Envoy): behaviour §5.6."""

import base64
from unittest.mock import patch

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import ApiClientFactory, EnterpriseFactory, classic_token, fine_grained_token
from tokens import services

ENDPOINT = "/api/v1/access/forward-auth"


def basic(password, user="git"):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def gateway_client(gateway):
    """The gateway as nginx runs it: its client secret in X-Patrol-Client on every auth request."""
    return Client(HTTP_X_PATROL_CLIENT=gateway)


@pytest.fixture
def writer(cast):
    """alice's token approved for contents:write on all of acme's repositories, whose members may write."""
    type(cast.acme).objects.filter(pk=cast.acme.pk).update(base_permission="write")
    return fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "write"}, approved=True
    )


def nginx(client, uri, method="GET", authorization=None, **headers):
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    return client.get(ENDPOINT, HTTP_X_ORIGINAL_URI=uri, HTTP_X_ORIGINAL_METHOD=method, **headers)


PUSH = "/acme/web.git/info/refs?service=git-receive-pack"
CLONE = "/acme/web.git/info/refs?service=git-upload-pack"


# --- The caller's credentials, as git and GitHub's clients send them ------------------------


@pytest.mark.parametrize(
    "style",
    [
        lambda token: basic(token),
        lambda token: basic(token, user="anything-at-all"),
        lambda token: basic("", user=token),
        lambda token: basic("x-oauth-basic", user=token),
        lambda token: f"Bearer {token}",
        lambda token: f"token {token}",
        lambda token: f"TOKEN  {token} ",
    ],
    ids=["basic", "basic any user", "basic token as user", "basic x-oauth-basic", "bearer", "token", "token spaced"],
)
def test_each_credential_style_is_read(gateway_client, writer, style):
    response = nginx(gateway_client, PUSH, authorization=style(writer.plaintext))
    assert response.status_code == 200
    assert response["X-Patrol-Reason"] == "allowed"


def test_no_credentials_answer_401_with_a_basic_challenge_so_git_asks(gateway_client, cast, settings):
    settings.PATROL_FORWARD_AUTH_REALM = 'Big "Corp" git'
    with CaptureQueriesContext(connection) as queries:
        response = nginx(gateway_client, PUSH)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Basic realm=\"Big 'Corp' git\""
    assert response["X-Patrol-Reason"] == "credentials_missing"
    assert [q["sql"] for q in queries if "tokens_finegrainedtoken" in q["sql"]] == []


@pytest.mark.parametrize(
    "header", ["Basic !!!notbase64", "Basic " + base64.b64encode(b"no-colon").decode(), "Digest x"]
)
def test_an_unreadable_authorization_answers_401_credential_invalid(gateway_client, cast, header):
    response = nginx(gateway_client, PUSH, authorization=header)
    assert response.status_code == 401
    assert response["X-Patrol-Reason"] == "credential_invalid"
    assert response["WWW-Authenticate"].startswith("Basic realm=")


def test_an_unknown_token_answers_401_so_git_forgets_it(gateway_client, cast):
    response = nginx(gateway_client, PUSH, authorization=basic("github_pat_" + "x" * 82))
    assert response.status_code == 401
    assert response["X-Patrol-Reason"] == "credential_invalid"
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_a_revoked_token_answers_401_token_revoked(gateway_client, writer):
    services.token_revoke(token=writer.token, actor=writer.token.user)
    response = nginx(gateway_client, PUSH, authorization=basic(writer.plaintext))
    assert response.status_code == 401
    assert response["X-Patrol-Reason"] == "token_revoked"
    assert response["X-Patrol-Message"] == "This token was revoked; create a new one."


# --- The answer ---------------------------------------------------------------------------


def test_an_allowed_request_answers_200_with_who_and_what_in_headers(gateway_client, writer):
    response = nginx(gateway_client, PUSH, authorization=basic(writer.plaintext))
    assert response.status_code == 200
    assert response["X-Patrol-User"] == "alice"
    assert response["X-Patrol-Resource"] == "acme/web"
    assert response["X-Patrol-Permission"] == "contents:write"
    assert response.json()["allowed"] is True


def test_a_policy_refusal_answers_403_with_reason_and_message(gateway_client, cast):
    issued = classic_token(cast.alice, scopes=["repo"])
    cast.bigcorp.classic_access = "restrict"
    cast.bigcorp.save()
    response = nginx(gateway_client, CLONE, authorization=basic(issued.plaintext))
    assert response.status_code == 403
    assert response["X-Patrol-Reason"] == "classic_restricted"
    assert "Big Corp" in response["X-Patrol-Message"]
    assert "WWW-Authenticate" not in response
    assert "X-Patrol-User" not in response


def test_a_token_awaiting_approval_reads_a_public_repository_but_cannot_push(gateway_client, cast, writer):
    pending = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "write"}, pending=True
    )
    clone = nginx(
        gateway_client, "/acme/docs.git/info/refs?service=git-upload-pack", authorization=basic(pending.plaintext)
    )
    push = nginx(gateway_client, "/acme/docs.git/git-receive-pack", "POST", authorization=basic(pending.plaintext))
    assert (clone.status_code, clone["X-Patrol-Reason"]) == (200, "public_read")
    assert (push.status_code, push["X-Patrol-Reason"]) == (403, "approval_pending")
    assert push["X-Patrol-Request-Id"].isdigit()


def test_an_unknown_route_is_refused_403_before_any_check(gateway_client, writer):
    with patch("tokens.api.views.check") as check:
        response = nginx(gateway_client, "/acme/web.git/config", authorization=basic(writer.plaintext))
    assert response.status_code == 403
    assert response["X-Patrol-Reason"] == "route_unknown"
    check.assert_not_called()


def test_answer_headers_never_carry_the_token(gateway_client, writer):
    for uri in (PUSH, "/nowhere"):
        response = nginx(gateway_client, uri, authorization=basic(writer.plaintext))
        assert all(writer.plaintext not in value for value in response.headers.values())
        assert writer.plaintext not in response.content.decode()


# --- The API client header -----------------------------------------------------------------


def test_without_the_client_header_the_answer_is_401_and_no_decision_is_made(cast, writer):
    with patch("tokens.api.views.check") as check:
        response = nginx(Client(), PUSH, authorization=basic(writer.plaintext))
    assert response.status_code == 401
    assert response["X-Patrol-Reason"] == "client_unauthenticated"
    assert not response["WWW-Authenticate"].startswith("Basic")
    check.assert_not_called()


def test_a_wrong_client_secret_is_refused_401(cast, writer):
    client = Client(HTTP_X_PATROL_CLIENT="patrol_api_" + "x" * 40)
    response = nginx(client, PUSH, authorization=basic(writer.plaintext))
    assert response.status_code == 401
    assert response["X-Patrol-Reason"] == "client_unauthenticated"


def test_a_revoked_client_is_refused_401(cast, writer):
    revoked = ApiClientFactory(revoked=True)
    response = nginx(Client(HTTP_X_PATROL_CLIENT=revoked.plaintext), PUSH, authorization=basic(writer.plaintext))
    assert response.status_code == 401


def test_the_client_secret_may_be_sent_as_bearer(gateway, writer):
    response = nginx(Client(HTTP_X_PATROL_CLIENT=f"Bearer {gateway}"), PUSH, authorization=basic(writer.plaintext))
    assert response.status_code == 200


def test_the_client_secret_in_authorization_does_not_count(gateway, writer):
    response = nginx(Client(), PUSH, authorization=f"Bearer {gateway}")
    assert response.status_code == 401
    assert response["X-Patrol-Reason"] == "client_unauthenticated"


def test_an_enterprises_client_is_told_nothing_of_a_repository_outside_it(cast, writer):
    outsider = ApiClientFactory(enterprise=EnterpriseFactory(slug="elsewhere")).plaintext
    response = nginx(Client(HTTP_X_PATROL_CLIENT=outsider), PUSH, authorization=basic(writer.plaintext))
    assert (response.status_code, response["X-Patrol-Reason"]) == (403, "resource_not_found")
    assert "X-Patrol-User" not in response


# --- Each gateway's convention ---------------------------------------------------------------


def test_traefik_sends_x_forwarded_uri_and_method(gateway_client, writer):
    response = gateway_client.get(
        ENDPOINT,
        HTTP_X_FORWARDED_URI="/acme/web.git/git-receive-pack",
        HTTP_X_FORWARDED_METHOD="POST",
        HTTP_AUTHORIZATION=basic(writer.plaintext),
    )
    assert (response.status_code, response["X-Patrol-Permission"]) == (200, "contents:write")


def test_envoy_sends_the_original_method_and_path_after_the_endpoints(gateway_client, writer):
    response = gateway_client.post(
        f"{ENDPOINT}/acme/web.git/git-receive-pack", HTTP_AUTHORIZATION=basic(writer.plaintext)
    )
    assert (response.status_code, response["X-Patrol-Permission"]) == (200, "contents:write")


def test_envoys_query_string_is_part_of_the_original_request(gateway_client, cast, writer):
    reader = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}, approved=True
    )
    path = f"{ENDPOINT}/acme/web.git/info/refs"
    clone = gateway_client.get(path, {"service": "git-upload-pack"}, HTTP_AUTHORIZATION=basic(reader.plaintext))
    push = gateway_client.get(path, {"service": "git-receive-pack"}, HTTP_AUTHORIZATION=basic(reader.plaintext))
    assert (clone.status_code, push.status_code) == (200, 403)
    assert push["X-Patrol-Reason"] == "permission_not_granted"


@pytest.mark.parametrize("method", ["put", "patch", "delete", "head", "options"])
def test_envoy_may_forward_any_method(gateway_client, writer, method):
    response = getattr(gateway_client, method)(
        f"{ENDPOINT}/repos/acme/web/contents/x", HTTP_AUTHORIZATION=basic(writer.plaintext)
    )
    assert response.status_code == 200
    expected = "contents:read" if method in ("head", "options") else "contents:write"
    assert response["X-Patrol-Permission"] == expected


def test_a_client_cannot_name_another_request_beside_the_gateways(gateway_client, writer):
    """Traefik and nginx pass their client's own headers on: one naming a harmless read
    beside the push the gateway holds is refused, not believed."""
    response = gateway_client.get(
        ENDPOINT,
        HTTP_X_FORWARDED_URI="/acme/web.git/git-receive-pack",
        HTTP_X_FORWARDED_METHOD="POST",
        HTTP_X_ORIGINAL_URI="/acme/docs.git/info/refs?service=git-upload-pack",
        HTTP_X_ORIGINAL_METHOD="GET",
        HTTP_AUTHORIZATION=basic(writer.plaintext),
    )
    assert (response.status_code, response["X-Patrol-Reason"]) == (403, "request_ambiguous")


def test_envoys_path_and_a_header_naming_another_request_are_refused(gateway_client, writer):
    response = gateway_client.post(
        f"{ENDPOINT}/acme/web.git/git-receive-pack",
        HTTP_X_ORIGINAL_URI="/acme/docs.git/git-upload-pack",
        HTTP_X_ORIGINAL_METHOD="POST",
        HTTP_AUTHORIZATION=basic(writer.plaintext),
    )
    assert response["X-Patrol-Reason"] == "request_ambiguous"


def test_the_same_request_in_two_conventions_is_fine(gateway_client, writer):
    response = gateway_client.get(
        ENDPOINT,
        HTTP_X_FORWARDED_URI=PUSH,
        HTTP_X_FORWARDED_METHOD="GET",
        HTTP_X_ORIGINAL_URI=PUSH,
        HTTP_X_ORIGINAL_METHOD="get",
        HTTP_AUTHORIZATION=basic(writer.plaintext),
    )
    assert response.status_code == 200


def test_a_uri_without_its_method_is_refused(gateway_client, writer):
    response = gateway_client.get(ENDPOINT, HTTP_X_ORIGINAL_URI=PUSH, HTTP_AUTHORIZATION=basic(writer.plaintext))
    assert (response.status_code, response["X-Patrol-Reason"]) == (403, "request_ambiguous")


def test_no_original_request_at_all_is_refused(gateway_client, writer):
    response = gateway_client.get(ENDPOINT, HTTP_AUTHORIZATION=basic(writer.plaintext))
    assert (response.status_code, response["X-Patrol-Reason"]) == (403, "request_ambiguous")
    assert "X-Original-URI" in response["X-Patrol-Message"]


# --- Hostile original requests -----------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "/acme/web.git/info/refs?service=git-receive-pack\r\nX-Patrol-Reason: allowed",
        "/acme/web.git/git-receive-pack\x1b[31m",
        "/acme/\u2603/git-receive-pack",
        "/acme/web.git/../docs.git/git-receive-pack",
        "/" + "a/" * 5000,
        "",
    ],
    ids=["crlf", "escape", "non-ascii", "dot segments", "long", "empty"],
)
def test_a_hostile_original_uri_is_refused_with_clean_headers(gateway_client, writer, uri):
    response = nginx(gateway_client, uri, "POST", authorization=basic(writer.plaintext))
    assert response.status_code == 403
    assert response["X-Patrol-Reason"] in ("route_unknown", "request_ambiguous", "permission_not_granted")
    for value in response.headers.values():
        assert all(" " <= character <= "~" for character in value), value


def test_a_hostile_original_method_is_refused(gateway_client, writer):
    response = nginx(gateway_client, PUSH, "GET\r\nX: y", authorization=basic(writer.plaintext))
    assert (response.status_code, response["X-Patrol-Reason"]) == (403, "route_unknown")


def test_a_refusal_is_an_answer_and_logs_no_warning(gateway_client, cast, caplog):
    with caplog.at_level("WARNING", logger="django.request"):
        assert nginx(gateway_client, PUSH).status_code == 401
        assert nginx(gateway_client, "/nowhere", authorization="Bearer x").status_code == 403
    assert not [record for record in caplog.records if record.name == "django.request"]
