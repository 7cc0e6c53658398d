"""Hostile input gets a clean 4xx, never a 500, on SQLite and PostgreSQL (issue 16 point 3).

JSON bodies are read by tokens.api.parsers.StrictJsonParser on every API;
NUL characters in URLs, query strings, headers, cookies and form fields are
refused by config.middleware.RefuseNulMiddleware; errors no view handled
answer config.views' pages (JSON under /api/). PostgreSQL is where a NUL
used to become a 500: its text cannot hold one.
"""

import json
from unittest.mock import patch
from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.conftest import OWNER_PERMISSIONS, api_for
from tests.factories import fine_grained_token, pending_request
from tests.outages import database_unreachable
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
    assert response["Content-Type"].split(";")[0] == "application/json"
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
    assert response["Content-Type"].split(";")[0] == "application/json"


def test_an_oversized_introspection_form_is_a_json_413(clients, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = post_form(clients[INTROSPECT], INTROSPECT, {"token": "x" * 2048})
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"


# --- NUL characters outside API bodies ------------------------------------------------------


@pytest.fixture
def olga(cast):
    browser = Client()
    browser.force_login(cast.olga)
    return browser


@pytest.fixture
def superuser(db, django_user_model):
    browser = Client()
    browser.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "x"))
    return browser


def assert_site_400(response, reason: str):
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b'class="brand"' in response.content  # base.html: the site's own page
    assert reason.encode() in response.content


def test_a_nul_in_a_site_url_path_is_the_sites_400_page(olga):
    response = olga.get("/orgs/%00/settings/personal-access-tokens/")
    assert_site_400(response, "NUL character in the URL path.")


@pytest.mark.parametrize("query", ["q=%00", "username=%00", "o=%00", "%00=1"])
def test_a_nul_in_an_admin_query_string_is_the_sites_400_page(superuser, query):
    response = superuser.get(f"/admin/organizations/user/?{query}")
    assert_site_400(response, "NUL character in the query string.")


def test_an_encoded_percent_sign_is_not_a_nul(superuser):
    assert superuser.get("/admin/organizations/user/?q=%2500").status_code == 200


def test_a_nul_in_a_form_field_is_the_sites_400_page(db):
    response = Client().post("/login/", {"username": "olga\x00", "password": "x"})
    assert_site_400(response, "NUL character in a form field.")


def test_a_nul_in_the_session_cookie_is_the_sites_400_page(db):
    browser = Client()
    browser.cookies["sessionid"] = "abcdefghij\x00klmnop"
    assert_site_400(browser.get("/settings/tokens/"), "NUL character in a cookie.")


def test_a_nul_spelled_as_an_octal_escape_in_a_quoted_cookie_is_refused(db):
    browser = Client()
    response = browser.get("/settings/tokens/", HTTP_COOKIE='sessionid="abcdefghij\\000klmnop"')
    assert_site_400(response, "NUL character in a cookie.")


def test_a_nul_in_a_header_is_the_sites_400_page(db):
    """django-axes writes a failed sign-in's User-Agent to the database."""
    response = Client().post("/login/", {"username": "olga", "password": "x"}, HTTP_USER_AGENT="curl\x00")
    assert_site_400(response, "NUL character in the User-Agent header.")


def test_a_nul_in_a_v1_url_is_a_json_400(clients):
    response = clients[CHECK].get("/api/v1/access/check?x=%00")
    assert response.status_code == 400
    assert response.json() == {"detail": "NUL character in the query string."}


def test_a_nul_in_a_v3_url_is_githubs_json_400(clients):
    response = clients[V3_REVIEW_MANY].get("/api/v3/orgs/%00/personal-access-tokens")
    assert response.status_code == 400
    assert response.json() == {
        "message": "NUL character in the URL path.",
        "documentation_url": "https://docs.github.com/rest",
    }


# --- The site's own error pages ---------------------------------------------------------------


def assert_site_page(response, status: int, heading: bytes):
    assert response.status_code == status
    assert b'class="brand"' in response.content
    assert heading in response.content
    assert b"<script" not in response.content  # a Content-Security-Policy without inline scripts


def test_more_form_fields_than_django_allows_is_the_sites_400_page(db, settings):
    fields = {f"field{number}": "x" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    assert_site_page(Client().post("/login/", fields), 400, b"<h1>Bad request</h1>")


def test_an_unknown_page_is_the_sites_404_page(olga):
    assert_site_page(olga.get("/no-such-page/"), 404, b"<h1>Not found</h1>")


def test_a_forbidden_admin_page_is_the_sites_403_page(cast):
    """Enterprise owners hold no permission on auth.Group: the admin raises PermissionDenied."""
    browser = Client()
    browser.force_login(cast.erin)
    assert_site_page(browser.get("/admin/auth/group/"), 403, b"<h1>Forbidden</h1>")


def test_a_form_without_its_csrf_token_is_the_sites_403_page(olga):
    browser = Client(enforce_csrf_checks=True)
    assert_site_page(browser.post("/login/", {"username": "olga"}), 403, b"CSRF")


def test_a_crash_is_the_sites_500_page_even_without_the_database(olga):
    olga.raise_request_exception = False
    with database_unreachable():
        response = olga.get("/settings/tokens/")
    assert_site_page(response, 500, b"<h1>Something went wrong</h1>")


def test_an_unknown_api_url_is_a_json_404(clients):
    response = clients[CHECK].get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_an_unknown_v3_url_is_githubs_json_404(clients):
    response = clients[V3_REVIEW_MANY].get("/api/v3/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


def test_a_crash_in_an_api_view_is_a_json_500(clients):
    gateway = clients[CHECK]
    gateway.raise_request_exception = False
    with patch("tokens.api.views.check", side_effect=RuntimeError("boom")):
        response = gateway.post(CHECK, check_body(), format="json")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server Error"}


@pytest.mark.parametrize("selected", ["abc", "1.5", "%FF", "9" * 30])
def test_an_admin_action_on_keys_that_are_not_ids_is_the_sites_400_page(cast, selected):
    """Django's admin filtered pk__in on them: a ValueError or OverflowError, a 500
    (enterprise owners may delete memberships)."""
    browser = Client()
    browser.force_login(cast.erin)
    response = browser.post(
        "/admin/organizations/membership/", {"action": "delete_selected", "_selected_action": [selected]}
    )
    assert_site_page(response, 400, b"<h1>Bad request</h1>")


def test_an_admin_action_on_junk_is_refused_in_djangos_own_group_admin_too(superuser):
    response = superuser.post("/admin/auth/group/", {"action": "delete_selected", "_selected_action": ["abc"]})
    assert response.status_code == 400
