"""The forward-auth route table (tokens/api/forward_auth.py): every default row, and the refusals."""

import re

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from tokens.api import forward_auth
from tokens.api.forward_auth import DEFAULT_ROUTES, Mapped, Refused, map_request

# One request per default row, in the table's order: (method, URI, resource, permission).
EVERY_ROW = [
    ("GET", "/acme/web.git/info/refs?service=git-receive-pack", "acme/web", "contents:write"),
    ("GET", "/acme/web.git/info/refs?service=git-upload-pack", "acme/web", "contents:read"),
    ("POST", "/acme/web.git/git-upload-pack", "acme/web", "contents:read"),
    ("POST", "/acme/web.git/git-receive-pack", "acme/web", "contents:write"),
    ("GET", "/acme/web.git/objects/info/packs", "acme/web", "contents:read"),
    ("GET", "/repos/acme/web", "acme/web", "metadata:read"),
    ("DELETE", "/repos/acme/web", "acme/web", "administration:write"),
    ("PUT", "/repos/acme/web/actions/secrets/TOKEN", "acme/web", "secrets:write"),
    ("PUT", "/repos/acme/web/actions/workflows/ci.yml/enable", "acme/web", "actions:write"),
    ("GET", "/repos/acme/web/actions/runs", "acme/web", "actions:read"),
    ("POST", "/repos/acme/web/statuses/abc123", "acme/web", "statuses:write"),
    ("GET", "/repos/acme/web/contents/README.md", "acme/web", "contents:read"),
    ("POST", "/repos/acme/web/issues", "acme/web", "issues:write"),
    ("GET", "/repos/acme/web/labels", "acme/web", "issues:read"),
    ("PATCH", "/repos/acme/web/pulls/7", "acme/web", "pull_requests:write"),
    ("GET", "/repos/acme/web/deployments", "acme/web", "deployments:read"),
    ("PUT", "/repos/acme/web/environments/prod", "acme/web", "environments:write"),
    ("GET", "/repos/acme/web/pages", "acme/web", "pages:read"),
    ("POST", "/repos/acme/web/hooks", "acme/web", "repository_hooks:write"),
    ("PUT", "/repos/acme/web/collaborators/bob", "acme/web", "administration:write"),
    ("GET", "/repos/acme/web/languages", "acme/web", "metadata:read"),
    (
        "POST",
        "/orgs/acme/personal-access-token-requests/3",
        "acme",
        "organization_personal_access_token_requests:write",
    ),
    ("GET", "/orgs/acme/personal-access-tokens", "acme", "organization_personal_access_tokens:read"),
    ("GET", "/orgs/acme/hooks", "acme", "organization_hooks:read"),
    ("PUT", "/orgs/acme/memberships/bob", "acme", "members:write"),
    ("PATCH", "/orgs/acme", "acme", "organization_administration:write"),
    ("GET", "/enterprises/bigcorp/audit-log", "enterprise:bigcorp", "audit_log:read"),
    ("GET", "/enterprises/bigcorp/settings/billing", "enterprise:bigcorp", "enterprise_administration:read"),
]


def mapped(method, uri):
    result = map_request(method, uri)
    assert isinstance(result, Mapped), result
    return result.resource.text, f"{result.permission}:{result.level}"


def test_every_default_row_has_a_request_here():
    assert len(EVERY_ROW) == len(DEFAULT_ROUTES)


@pytest.mark.parametrize(("method", "uri", "resource", "permission"), EVERY_ROW, ids=[row[1] for row in EVERY_ROW])
def test_each_row_maps_its_request(method, uri, resource, permission):
    assert mapped(method, uri) == (resource, permission)


@pytest.mark.parametrize("index", range(len(EVERY_ROW)))
def test_each_row_is_the_first_to_match_its_request(index):
    method, uri, *_ = EVERY_ROW[index]
    routes = forward_auth.routes()
    subject = uri if "?service=" in uri else uri.partition("?")[0]
    first = next(
        number
        for number, route in enumerate(routes)
        if (route.methods is None or method in route.methods) and route.pattern.match(subject)
    )
    assert first == index


@pytest.mark.parametrize(
    ("uri", "permission"),
    [
        ("/acme/web/info/refs?service=git-upload-pack", "contents:read"),
        ("/acme/web/info/refs?service=git-receive-pack", "contents:write"),
        ("/acme/web/git-receive-pack", "contents:write"),
        ("/acme/web.git/info/refs", "contents:read"),  # dumb HTTP: no service
    ],
)
def test_git_paths_without_dot_git_name_the_same_repository(uri, permission):
    method = "GET" if "/info/refs" in uri else "POST"
    assert mapped(method, uri) == ("acme/web", permission)


def test_github_enterprise_servers_api_prefix_is_dropped():
    assert mapped("GET", "/api/v3/repos/acme/web/issues/1") == ("acme/web", "issues:read")


def test_a_read_method_maps_to_read_and_any_other_to_write():
    assert mapped("HEAD", "/repos/acme/web/issues")[1] == "issues:read"
    assert mapped("OPTIONS", "/repos/acme/web/issues")[1] == "issues:read"
    assert mapped("DELETE", "/repos/acme/web/issues/1/labels/bug")[1] == "issues:write"


def test_a_receive_pack_advertisement_asked_twice_is_ambiguous():
    result = map_request("GET", "/acme/web.git/info/refs?service=git-upload-pack&service=git-receive-pack")
    assert result == Refused(403, "request_ambiguous", "The original query names more than one git service.")


@pytest.mark.parametrize("service", ["git-upload-pack%0A", "git-receive-pack%20", "git-upload-archive", ""])
def test_an_info_refs_query_naming_an_unknown_git_service_is_refused(service):
    result = map_request("GET", f"/acme/web.git/info/refs?service={service}")
    assert result == Refused(403, "route_unknown", "The original query names no git service Patrol knows.")


@pytest.mark.parametrize(
    ("method", "uri"),
    [
        ("GET", "/"),
        ("GET", "/acme/web.git/config"),
        ("POST", "/repos/acme/web"),  # no write of metadata
        ("GET", "/user/keys"),  # the caller's own account: not mapped by default
        ("GET", "/orgs/acme/unknown-thing"),
        ("BREW", "/acme/web.git/git-upload-pack"),
        ("get ", "/repos/acme/web"),
        ("GET", "relative/path"),
    ],
)
def test_a_request_no_row_maps_is_refused_with_route_unknown(method, uri):
    result = map_request(method, uri)
    assert isinstance(result, Refused)
    assert (result.status, result.reason) == (403, "route_unknown")


@pytest.mark.parametrize(
    "uri",
    [
        "/acme/public/../secret/git-receive-pack",
        "/repos/acme/docs/issues/../../../acme/web/hooks",
        "/repos/acme/docs/contents/%2e%2e/%2e%2e/web/hooks",
        "/repos/acme//web/issues",
        "/repos/acme/web/issues/./1",
        "/repos/acme/web/contents/a%2Fb",
        "/repos/acme/web/contents/a\\b",
        "/repos/acme/web/issues/1\r\nX-Patrol-Reason: allowed",
        "/repos/acme/web/issues/%00",
        "/acme/web.git/info/refs\x00?service=git-upload-pack",
    ],
)
def test_a_path_the_server_behind_could_read_otherwise_is_refused(uri):
    result = map_request("GET", uri)
    assert isinstance(result, Refused)
    assert result.reason == "route_unknown"


def test_an_operators_route_comes_before_the_defaults(settings):
    settings.PATROL_FORWARD_AUTH_ROUTES = [["GET", r"^/repos/{owner}/{repo}/issues/export$", "contents:read"]]
    assert mapped("GET", "/repos/acme/web/issues/export") == ("acme/web", "contents:read")
    assert mapped("GET", "/repos/acme/web/issues/1") == ("acme/web", "issues:read")


def test_an_operators_route_can_name_an_organization(settings):
    settings.PATROL_FORWARD_AUTH_ROUTES = [["*", r"^/teams/{org}/", "members"]]
    assert mapped("PUT", "/teams/acme/x") == ("acme", "members:write")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["GET", r"^/x/{owner}$", "nonsense:read"], "Unknown permission 'nonsense'."),
        (["GET", r"^/x/{owner}$", "nonsense"], "Unknown permission 'nonsense' in route '^/x/{owner}$'."),
        (["GET", r"^/x$", "contents:read"], "names no resource"),
    ],
)
def test_a_bad_operators_route_is_refused_with_what_is_wrong(row, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("$", r"\$").replace("^", r"\^")):
        forward_auth.compile_route(row)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Token revoked \u2014 create a new one.", "Token revoked - create a new one."),
        ("line\r\nX-Injected: yes", "lineX-Injected: yes"),
        ("caf\u00e9 \u2603", "cafe "),
    ],
)
def test_header_text_keeps_only_printable_ascii(text, expected):
    assert forward_auth.header_text(text) == expected


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["GET", r"^/x/{owner}$"], "three strings"),
        (["GET", r"^/x/{owner}(", "contents"], "is not a regular expression"),
    ],
)
def test_a_malformed_operators_route_is_named(row, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        forward_auth.compile_route(row)


def test_a_bad_route_in_the_settings_stops_the_start_naming_it(settings):
    settings.PATROL_FORWARD_AUTH_ROUTES = [["GET", r"^/x$", "contents:read"]]
    with pytest.raises(ImproperlyConfigured, match=r"PATROL_FORWARD_AUTH_ROUTES: Route '\^/x\$' names no resource"):
        apps.get_app_config("tokens").ready()
