"""The check API's HTTP contract (behaviour §5.4, §10): auth, validation, limits, failure."""

import codecs
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.factories import fine_grained_token
from tests.outages import database_unreachable
from tokens import services
from tokens.models import AccessRequest, ApiClient, FineGrainedToken, Grant

CHECK = "/api/v1/access/check"


@pytest.fixture
def approved(cast):
    return fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}, approved=True
    )


def body(token, **overrides):
    return {"token": token, "resource": "acme/web", "permission": "contents:read", **overrides}


def row_counts():
    return [model.objects.count() for model in (AuditEvent, AccessRequest, Grant, FineGrainedToken)]


def test_missing_credentials_answer_401_with_a_bearer_challenge(anonymous_api, approved):
    response = anonymous_api.post(CHECK, body(approved.plaintext), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_client_secret_answers_401(approved):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer patrol_ac_" + "x" * 38)
    assert client.post(CHECK, body(approved.plaintext), format="json").status_code == 401


def test_a_token_is_not_an_api_client_secret(approved):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {approved.plaintext}")
    assert client.post(CHECK, body(approved.plaintext), format="json").status_code == 401


def test_revoked_client_answers_401(api, gateway, approved):
    services.api_client_revoke(client=ApiClient.objects.get(name="gateway"))
    assert api.post(CHECK, body(approved.plaintext), format="json").status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"resource": "acme/web", "permission": "contents:read"}, "token"),
        ({"token": "x", "permission": "contents:read"}, "resource"),
        ({"token": "x", "resource": "acme/web"}, "permission"),
        ({"token": "x", "resource": "acme//web", "permission": "contents:read"}, "resource"),
        ({"token": "x", "resource": "acme/web", "permission": "contents"}, "permission"),
        ({"token": "x", "resource": "acme/web", "permission": "nonsense:read"}, "permission"),
        ({"token": "x", "resource": "acme/web", "permission": "contents:owner"}, "permission"),
        ({"token": 12345678901234567890, "resource": "acme/web", "permission": "contents:read"}, "token"),
        ({"token": "x", "resource": ["acme/web"], "permission": "contents:read"}, "resource"),
        ({"token": "x", "resource": "acme/web", "permission": "contents:read", "explain": "maybe"}, "explain"),
        ({"token": "x", "resource": "acme/web", "permission": "contents:read", "colour": "blue"}, "colour"),
        (
            {"token": "x", "ssh_key_fingerprint": "SHA256:x", "resource": "acme/web", "permission": "contents:read"},
            "token",
        ),
    ],
)
def test_malformed_request_answers_400_naming_the_field(api, cast, payload, field):
    response = api.post(CHECK, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_unknown_permission_name_says_so(api, cast):
    response = api.post(CHECK, body("x", permission="telepathy:read"), format="json")
    assert response.json()["permission"] == ["Unknown permission 'telepathy'."]


def test_body_that_is_not_json_answers_400(api, cast):
    response = api.post(CHECK, data=b"{not json", content_type="application/json")
    assert response.status_code == 400


def test_body_that_is_not_utf8_answers_400(api, cast):
    response = api.post(CHECK, data=b'{"token": "\xff\xfe"}', content_type="application/json")
    assert response.status_code == 400


def test_json_with_a_charset_parameter_is_read(api, cast, approved):
    response = api.post(
        CHECK, data=json.dumps(body(approved.plaintext)), content_type="application/json; charset=utf-8"
    )
    assert response.json()["allowed"] is True


def test_a_leading_byte_order_mark_is_ignored(api, cast, approved):
    """RFC 8259 §8.1 lets a parser ignore one; some clients send it."""
    data = codecs.BOM_UTF8 + json.dumps(body(approved.plaintext)).encode()
    assert api.post(CHECK, data=data, content_type="application/json").json()["allowed"] is True


def test_json_in_utf16_answers_400(api, cast, approved):
    data = json.dumps(body(approved.plaintext)).encode("utf-16")
    assert api.post(CHECK, data=data, content_type="application/json").status_code == 400


def test_json_beyond_the_standard_answers_400(api, cast):
    """NaN and Infinity are Python's extensions, not JSON (RFC 8259)."""
    response = api.post(CHECK, data=b'{"token": NaN}', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_wrong_content_type_answers_415(api, cast):
    response = api.post(CHECK, data="token=x", content_type="text/plain")
    assert response.status_code == 415


def test_oversized_body_answers_413(api, cast, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api.post(CHECK, body("x" * 2048), format="json")
    assert response.status_code == 413


def test_json_array_body_answers_400(api, cast):
    assert api.post(CHECK, [1, 2], format="json").status_code == 400


def test_bad_input_writes_nothing(api, cast, approved):
    before = row_counts()
    api.post(CHECK, body(approved.plaintext, resource="///"), format="json")
    api.post(CHECK, data=b"\xff", content_type="application/json")
    assert row_counts() == before


def test_throttled_client_answers_429_with_retry_after(cast, approved):
    secret = services.api_client_create(name="tiny", rate_per_minute=2).plaintext
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    statuses = [client.post(CHECK, body(approved.plaintext), format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.post(CHECK, body(approved.plaintext), format="json")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_unreachable_database_answers_503_and_never_allows(api, approved):
    api.post(CHECK, body(approved.plaintext), format="json")  # the client is now cached
    with database_unreachable():
        response = api.post(CHECK, body(approved.plaintext), format="json")
    assert response.status_code == 503
    assert "allowed" not in response.json()


def test_unreachable_database_while_authenticating_answers_503(api, approved):
    with database_unreachable():
        response = api.post(CHECK, body(approved.plaintext), format="json")
    assert response.status_code == 503


def test_a_check_costs_at_most_three_queries(api, approved):
    api.post(CHECK, body(approved.plaintext), format="json")  # warm-up: one-off backend probes, last use
    with CaptureQueriesContext(connection) as queries:
        assert api.post(CHECK, body(approved.plaintext), format="json").json()["allowed"]
    assert len(queries) <= 3, [query["sql"] for query in queries]


def test_a_check_within_the_minute_of_the_last_use_reads_its_client_and_writes_nothing(api, approved):
    """Without the facts cache no process keeps a client (a revoke must stop the next
    request everywhere): the client is read, then the credential and the resource in one query,
    and no use is written."""
    api.post(CHECK, body(approved.plaintext), format="json")
    with CaptureQueriesContext(connection) as queries:
        api.post(CHECK, body(approved.plaintext), format="json")
    assert [query["sql"].split()[0] for query in queries] == ["SELECT"] * 2
    assert "tokens_apiclient" in queries[0]["sql"]


def test_openapi_schema_is_served(anonymous_api, db):
    response = anonymous_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/access/check", "/api/v1/access/check-batch", "/api/v1/introspect"} <= set(schema["paths"])


def test_the_schema_documents_rotation_and_the_credentials_revoke(anonymous_api, db):
    schema = anonymous_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    rotate = schema["paths"]["/api/v1/tokens/rotate"]["post"]
    revoke = schema["paths"]["/api/v3/credentials/revoke"]["post"]
    assert rotate["security"] == [{"personalToken": []}]
    assert set(rotate["responses"]) == {"200", "400", "401"}
    assert revoke["operationId"] == "credentials/revoke"
    assert revoke.get("security", []) in ([], [{}])
    assert {"202", "422", "429"} <= set(revoke["responses"])


def test_browsable_docs_are_served_without_a_cdn(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    # Every script, style and icon is ours. (Not `b"cdn" not in content`: the
    # page carries a random CSRF token, which now and then spells "cdn".)
    # The start-up script is the page's own ?script (drf-spectacular's split view, for CSP).
    addresses = re.findall(rb'<(?:script|link|img)\b[^>]*?(?:src|href)="([^"]*)"', response.content)
    assert addresses
    assert all(address.startswith((b"/static/", b"/api/docs/?script")) for address in addresses)
