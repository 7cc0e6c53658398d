"""Forward-auth is the check with another input: it adds no query beyond the check API's (docs/gateway.md)."""

import base64

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import classic_token, fine_grained_token

CHECK = "/api/v1/access/check"
FORWARD_AUTH = "/api/v1/access/forward-auth"


@pytest.fixture
def reader(cast):
    return fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}, approved=True
    ).plaintext


def forward_auth(gateway, token, uri):
    basic = base64.b64encode(f"git:{token}".encode()).decode()
    return Client(HTTP_X_PATROL_CLIENT=gateway).get(
        FORWARD_AUTH, HTTP_X_ORIGINAL_URI=uri, HTTP_X_ORIGINAL_METHOD="GET", HTTP_AUTHORIZATION=f"Basic {basic}"
    )


def queries(send) -> int:
    send()  # once unmeasured: the token's once-a-minute last-use write, connection probes
    with CaptureQueriesContext(connection) as captured:
        send()
    return len(captured)


@pytest.mark.parametrize(
    ("token_kind", "uri", "resource", "status"),
    [
        ("reader", "/acme/web.git/info/refs?service=git-upload-pack", "acme/web", 200),
        ("reader", "/acme/web.git/info/refs?service=git-receive-pack", "acme/web", 403),
        ("classic", "/acme/docs.git/info/refs?service=git-upload-pack", "acme/docs", 200),
    ],
    ids=["allowed", "refused", "public read"],
)
def test_forward_auth_makes_the_check_apis_queries_and_no_more(
    api, gateway, cast, reader, token_kind, uri, resource, status
):
    token = reader if token_kind == "reader" else classic_token(cast.mallory, scopes=["public_repo"]).plaintext
    permission = "contents:write" if "receive" in uri else "contents:read"
    body = {"token": token, "resource": resource, "permission": permission}
    by_check = queries(lambda: api.post(CHECK, body, format="json"))
    assert forward_auth(gateway, token, uri).status_code == status
    assert queries(lambda: forward_auth(gateway, token, uri)) == by_check


def test_a_warm_forward_auth_makes_no_query_with_the_facts_cache(gateway, reader, settings):
    settings.PATROL_FACTS_CACHE = True
    uri = "/acme/web.git/info/refs?service=git-upload-pack"
    assert queries(lambda: forward_auth(gateway, reader, uri)) == 0


def test_a_request_without_credentials_makes_no_query_beyond_the_client(gateway, cast, settings):
    settings.PATROL_FACTS_CACHE = True
    client = Client(HTTP_X_PATROL_CLIENT=gateway)

    def send():
        return client.get(
            FORWARD_AUTH, HTTP_X_ORIGINAL_URI="/acme/web.git/git-receive-pack", HTTP_X_ORIGINAL_METHOD="POST"
        )

    assert queries(send) == 0
