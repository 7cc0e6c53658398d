"""Hostile input gets a clean 4xx, never a 500, on SQLite and PostgreSQL (issue 16 point 3).

JSON bodies are read by tokens.api.parsers.StrictJsonParser on every API.
PostgreSQL is where a NUL used to become a 500: its text cannot hold one.
"""

import json
from urllib.parse import urlencode

import pytest

from tests.factories import fine_grained_token, pending_request
from tests.v3.conftest import OWNER_PERMISSIONS, api_for
from tokens.api.parsers import MAX_DEPTH
from tokens.models import AccessRequest
from tokens.services import api_client_create

CHECK, BATCH, INTROSPECT = "/api/v1/access/check", "/api/v1/access/check-batch", "/api/v1/introspect"
V3_REVIEW_MANY = "/api/v3/orgs/acme/personal-access-token-requests"
JSON_ENDPOINTS = [CHECK, BATCH, INTROSPECT, V3_REVIEW_MANY]


@pytest.fixture(autouse=True)
def debug_off(settings):
    """Error pages as production serves them, not Django's debug pages."""
    settings.DEBUG = False


@pytest.fixture
def clients(cast):
    """The API client's secret for v1, olga's own token for v3."""
    gateway = api_for(api_client_create(name="gateway").plaintext)
    owner = api_for(fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS).plaintext)
    return {CHECK: gateway, BATCH: gateway, INTROSPECT: gateway, V3_REVIEW_MANY: owner}


def post_json(clients, url, body: bytes):
    return clients[url].post(url, data=body, content_type="application/json")


def parse_error(response) -> str:
    """The message of an API's 400, v1 (detail) or v3 (GitHub's message)."""
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    data = response.json()
    return data.get("detail") or data["message"]


def check_body(**fields) -> dict:
    return {"token": "patrol_fg_x", "resource": "acme/web", "permission": "contents:read", **fields}


# --- JSON bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_a_body_nested_a_thousand_deep_is_a_400(clients, url, opener):
    closer = "]" if opener == "[" else "}"
    body = (opener * 1000 + "1" + closer * 1000).encode()
    assert parse_error(post_json(clients, url, body)) == f"JSON parse error - nested deeper than {MAX_DEPTH} levels"


def test_nesting_without_a_run_of_openers_is_counted_too(clients):
    """[[], [[], [[], … : never two openers in a row, yet 1,000 deep."""
    body = ("[[]," * 1000 + "1" + "]" * 1000).encode()
    assert "nested deeper" in parse_error(post_json(clients, CHECK, body))


def test_brackets_inside_strings_are_not_nesting(clients):
    body = json.dumps(check_body(resource="[" * 100 + "{" * 100)).encode()
    response = post_json(clients, CHECK, body)
    assert response.status_code == 400
    assert list(response.json()) == ["resource"]  # the field's own error, past the parser


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_a_duplicate_key_is_a_400_naming_it(clients, url):
    body = b'{"token": "patrol_fg_a", "token": "patrol_fg_b", "resource": "acme/web", "permission": "contents:read"}'
    assert parse_error(post_json(clients, url, body)) == "JSON parse error - duplicate key 'token'"


def test_a_duplicate_key_inside_one_check_of_a_batch_is_a_400_naming_it(clients):
    body = b'{"checks": [{"resource": "acme/web", "resource": "acme/docs", "token": "x", "permission": "a:read"}]}'
    assert parse_error(post_json(clients, BATCH, body)) == "JSON parse error - duplicate key 'resource'"


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
@pytest.mark.parametrize("number", ["1e999", "-1e999", "1" * 400 + ".5"])
def test_a_number_beyond_a_float_is_a_400(clients, url, number):
    body = f'{{"token": "patrol_fg_x", "explain": {number}}}'.encode()
    assert "is out of range" in parse_error(post_json(clients, url, body))


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_an_integer_of_5000_digits_is_a_400(clients, url):
    body = b'{"pat_request_ids": [' + b"9" * 5000 + b"]}"
    assert parse_error(post_json(clients, url, body)) == "JSON parse error - number with more than 100 digits"


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_a_400(clients, url, constant):
    body = f'{{"token": "patrol_fg_x", "explain": {constant}}}'.encode()
    assert parse_error(post_json(clients, url, body)) == f"JSON parse error - {constant} is not valid JSON"


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_invalid_utf8_is_a_400(clients, url):
    assert "JSON parse error" in parse_error(post_json(clients, url, b'{"token": "\xc3\x28"}'))


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_a_nul_in_a_json_string_is_a_400_naming_where(clients, url):
    body = json.dumps(check_body(resource="acme/we\u0000b")).encode()
    assert parse_error(post_json(clients, url, body)) == "JSON parse error - NUL character in resource"


def test_a_nul_in_a_batch_check_is_a_400_naming_its_index(clients):
    body = json.dumps({"checks": [check_body(), check_body(token="patrol_fg_\u0000")]}).encode()
    assert parse_error(post_json(clients, BATCH, body)) == "JSON parse error - NUL character in checks.1.token"


def test_a_nul_in_a_json_key_is_a_400(clients):
    body = json.dumps({**check_body(), "a\u0000": 1}).encode()
    assert parse_error(post_json(clients, CHECK, body)) == "JSON parse error - NUL character in a key of the body"


def test_a_nul_in_a_v3_reason_is_a_400_and_stores_nothing(cast, clients):
    """The reason would be written to a text column: PostgreSQL refuses NUL there."""
    request = pending_request(fine_grained_token(cast.alice, resource_owner=cast.acme).token)
    body = json.dumps({"action": "deny", "reason": "no\u0000", "pat_request_ids": [request.pk]}).encode()
    assert parse_error(post_json(clients, V3_REVIEW_MANY, body)) == "JSON parse error - NUL character in reason"
    assert AccessRequest.objects.get(pk=request.pk).status == request.status


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_a_lone_surrogate_is_a_400(clients, url):
    body = json.dumps(check_body(token="patrol_fg_\ud800")).encode()
    assert parse_error(post_json(clients, url, body)) == "JSON parse error - lone surrogate in token"


def test_escaped_characters_that_are_text_are_read(clients):
    """A surrogate pair is one character (😀), and \u00e9 is é: neither is refused."""
    body = json.dumps(check_body(token="patrol_fg_\U0001f600é")).encode()
    assert b"\\ud83d\\ude00" in body
    response = post_json(clients, CHECK, body)
    assert response.status_code == 200
    assert response.json()["reason"] == "credential_invalid"


# --- Forms and sizes --------------------------------------------------------------------


def post_form(client, url, fields: dict):
    return client.post(url, data=urlencode(fields), content_type="application/x-www-form-urlencoded")


def test_more_form_fields_than_django_allows_is_a_json_400_on_introspection(clients, settings):
    fields = {f"field{number}": "x" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = post_form(clients[INTROSPECT], INTROSPECT, fields)
    assert response.status_code == 400
    assert response.json() == {"detail": "Send at most 1000 form fields.", "code": "too_many_fields"}


def test_a_nul_in_an_introspection_form_field_is_a_400_naming_it(clients):
    response = post_form(clients[INTROSPECT], INTROSPECT, {"token": "patrol_fg_\x00"})
    assert response.status_code == 400
    assert list(response.json()) == ["token"]


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_an_oversized_json_body_is_a_json_413(clients, settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = post_json(clients, url, json.dumps(check_body(token="x" * 2048)).encode())
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"


def test_an_oversized_introspection_form_is_a_json_413(clients, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = post_form(clients[INTROSPECT], INTROSPECT, {"token": "x" * 2048})
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
