"""Security headers on every response (issue 16 §8), generated from the URL configuration like the matrix.

Every URL pattern, filled as the matrix fills it and fetched by every role,
answers with a Content-Security-Policy that allows no inline script, with
Referrer-Policy, Permissions-Policy and X-Frame-Options, and with
`Cache-Control: no-store` when a signed-in session asked or the answer carries
token data. Error answers (403, 404, 405) are included, as the matrix has them.
"""

import re
from copy import deepcopy
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client

from config.headers import JSON_API_POLICY
from tests.security.test_url_matrix import MATRIX, PATTERNS, ROLES, USERS, fill, world  # noqa: F401 (world is a fixture)

pytestmark = pytest.mark.django_db

TOKEN_DATA = ("/api/v1/", "/api/v3/")
DENIED_FEATURES = ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()")


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def header_problems(response, path: str, signed_in: bool) -> list[str]:
    """What is missing or wrong in one response's security headers."""
    problems = []
    policy = response.headers.get("Content-Security-Policy")
    if path.startswith(TOKEN_DATA):
        if policy != JSON_API_POLICY:
            problems.append(f"CSP {policy!r}, expected the JSON APIs' {JSON_API_POLICY!r}")
    elif policy is None:
        problems.append("no Content-Security-Policy")
    else:
        found = directives(policy)
        expected = {
            "script-src": ["'self'"],
            "style-src": ["'self'"],
            "object-src": ["'none'"],
            "base-uri": ["'none'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
        problems += [f"CSP {name} {found.get(name)}" for name, want in expected.items() if found.get(name) != want]
        if "'unsafe-inline'" in policy or "'unsafe-eval'" in policy:
            problems.append(f"CSP allows inline code: {policy!r}")
    if response.headers.get("Referrer-Policy") != "same-origin":
        problems.append(f"Referrer-Policy {response.headers.get('Referrer-Policy')!r}")
    permissions = response.headers.get("Permissions-Policy", "")
    problems += [f"Permissions-Policy lacks {feature}" for feature in DENIED_FEATURES if feature not in permissions]
    if response.headers.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options {response.headers.get('X-Frame-Options')!r}")
    if (signed_in or path.startswith(TOKEN_DATA)) and "no-store" not in response.headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {response.headers.get('Cache-Control')!r} lacks no-store")
    return problems


def get(client, path: str, query: dict):
    """A GET in a savepoint that is rolled back, cookies restored (as the matrix fetches)."""
    cookies = deepcopy(client.cookies)
    try:
        with transaction.atomic():
            response = client.get(path, query)
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return response


CASES = [(key, route) for key, route in PATTERNS if key in MATRIX]


def test_every_url_pattern_is_walked():
    assert len(CASES) == len(PATTERNS)


@pytest.mark.parametrize(("key", "route"), CASES, ids=[key for key, _ in CASES])
def test_every_answer_carries_the_security_headers(key, route, world):  # noqa: F811
    api = route.startswith("api/")
    problems = []
    for row in MATRIX[key]:
        if row.get is None:
            continue
        path = fill(key, route, row.kwargs(world))
        for role in ROLES:
            site, api_client = world.clients[role]
            response = get(api_client if api else site, path, row.query)
            where = f"GET {path} as {role} ({response.status_code})"
            problems += [f"{where}: {p}" for p in header_problems(response, path, signed_in=role in USERS and not api)]
    assert not problems, "\n".join(problems)


# --- One behaviour each (on the matrix's world: a module can hold only one) -------------------


def post(client, path: str, data: dict):
    """A JSON POST in a savepoint that is rolled back."""
    with transaction.atomic():
        response = client.post(path, data, format="json")
        transaction.set_rollback(True)
    return response


def test_a_page_allows_scripts_only_from_this_site(client):
    policy = directives(client.get("/login/").headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]


def test_an_unknown_url_answers_the_not_found_page_with_the_policy(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert header_problems(response, "/no-such-page/", signed_in=False) == []


def test_the_csrf_failure_page_carries_no_inline_style():
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert b"Form expired" in response.content
    assert b"<style" not in response.content


def test_a_signed_in_page_is_not_stored(world):  # noqa: F811
    site, _ = world.clients["alice"]
    assert get(site, "/settings/tokens/", {}).headers["Cache-Control"] == "no-store"


def test_a_page_keeps_its_own_cache_control_and_adds_no_store(world):  # noqa: F811
    site, _ = world.clients["erin"]
    cache_control = get(site, "/admin/", {}).headers["Cache-Control"]  # the admin's never_cache
    assert "private" in cache_control and "no-store" in cache_control


def test_an_anonymous_answer_without_token_data_is_not_marked_no_store(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_a_check_is_not_stored(world):  # noqa: F811
    _, gateway = world.clients["api_client"]
    body = {"token": world.api_tokens["alice"], "resource": "acme/web", "permission": "contents:read"}
    response = post(gateway, "/api/v1/access/check", body)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == JSON_API_POLICY


def test_a_check_batch_is_not_stored(world):  # noqa: F811
    _, gateway = world.clients["api_client"]
    check = {"token": world.api_tokens["alice"], "resource": "acme/web", "permission": "contents:read"}
    response = post(gateway, "/api/v1/access/check-batch", {"checks": [check]})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_an_introspection_is_not_stored(world):  # noqa: F811
    _, gateway = world.clients["api_client"]
    response = post(gateway, "/api/v1/introspect", {"token": world.api_tokens["alice"]})
    assert response.json()["active"] is True
    assert response.headers["Cache-Control"] == "no-store"


def test_a_v3_list_of_grants_is_not_stored(world):  # noqa: F811
    _, olga = world.clients["olga"]
    response = get(olga, "/api/v3/orgs/acme/personal-access-tokens", {})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


# --- The templates: nothing inline for the policy to refuse -------------------------------

INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}
TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(t.relative_to(settings.BASE_DIR)) for t in TEMPLATES])
def test_no_template_has_inline_script_or_style(template):
    text = re.sub(r"\{#.*?#\}", "", template.read_text())  # template comments are not sent
    found = [what for what, pattern in INLINE.items() if pattern.search(text)]
    assert not found, f"{template}: {found}"
