"""Forward-auth for nginx `auth_request`, Traefik ForwardAuth and Envoy `ext_authz` (docs/gateway.md).

A gateway asks whether the request it holds may pass. This module reads that
request — its method and URI in each gateway's convention, and the caller's
token as git and GitHub's clients send it — and maps it, through a table of
routes, to the resource and permission the check decides (behaviour §5.6).
Pure: headers in, a `Mapped` or a `Refused` out; the view asks the engine.
"""

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs

from django.conf import settings
from django.core.signals import setting_changed

from organizations.models import LOGIN_PATTERN, REPOSITORY_NAME_PATTERN
from tokens.engine.catalogue import PERMISSIONS, parse_permission
from tokens.engine.facts import ResourceName, parse_resource

# The gateway's own reasons, beside the engine's (tokens.engine.decision.Reason).
CREDENTIALS_MISSING = "credentials_missing"
CREDENTIAL_INVALID = "credential_invalid"
ROUTE_UNKNOWN = "route_unknown"
REQUEST_AMBIGUOUS = "request_ambiguous"

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANY = "*"

# Placeholders a route's pattern may use; each names a part of the resource.
PLACEHOLDERS = {
    "{owner}": rf"(?P<owner>{LOGIN_PATTERN})",
    "{repo}": rf"(?P<repo>{REPOSITORY_NAME_PATTERN})",
    "{org}": rf"(?P<org>{LOGIN_PATTERN})",
    "{enterprise}": r"(?P<enterprise>[a-z0-9][a-z0-9-]{0,38})",
}
GIT = r"^/{owner}/{repo}"  # `/<owner>/<repo>.git/…` and `/<owner>/<repo>/…` alike (".git" is dropped)
REPOS = r"^/repos/{owner}/{repo}"
REST_TAIL = r"(?:/.*)?$"

# (methods, pattern, permission): the first row whose methods and pattern match
# decides. Methods are a space-separated list or "*"; a permission without a
# level is read for GET, HEAD and OPTIONS and write for any other method.
# Git's smart HTTP: the service asked for is part of what is matched ("?service=…").
DEFAULT_ROUTES = (
    ("GET HEAD", GIT + r"/info/refs\?service=git-receive-pack$", "contents:write"),
    ("GET HEAD", GIT + r"/info/refs(?:\?service=git-upload-pack)?$", "contents:read"),
    ("POST", GIT + r"/git-upload-pack$", "contents:read"),
    ("POST", GIT + r"/git-receive-pack$", "contents:write"),
    ("GET HEAD", GIT + r"/(?:HEAD|objects/.+)$", "contents:read"),  # git's dumb protocol
    # GitHub's REST paths (with or without GitHub Enterprise Server's /api/v3 prefix, dropped first).
    ("GET HEAD", REPOS + r"$", "metadata:read"),
    ("PATCH DELETE", REPOS + r"$", "administration:write"),
    (ANY, REPOS + r"/(?:actions/secrets|dependabot/secrets)" + REST_TAIL, "secrets"),
    (ANY, REPOS + r"/actions/workflows/[^/]+/(?:enable|disable)$", "actions:write"),
    (ANY, REPOS + r"/actions" + REST_TAIL, "actions"),
    (ANY, REPOS + r"/(?:commits/[^/]+/status|commits/[^/]+/statuses|statuses)" + REST_TAIL, "statuses"),
    (ANY, REPOS + r"/(?:contents|git|commits|branches|tags|releases|merges|compare|tarball|zipball)" + REST_TAIL,
     "contents"),
    (ANY, REPOS + r"/issues" + REST_TAIL, "issues"),
    (ANY, REPOS + r"/(?:labels|milestones)" + REST_TAIL, "issues"),
    (ANY, REPOS + r"/pulls" + REST_TAIL, "pull_requests"),
    (ANY, REPOS + r"/deployments" + REST_TAIL, "deployments"),
    (ANY, REPOS + r"/environments" + REST_TAIL, "environments"),
    (ANY, REPOS + r"/pages" + REST_TAIL, "pages"),
    (ANY, REPOS + r"/hooks" + REST_TAIL, "repository_hooks"),
    (ANY, REPOS + r"/(?:collaborators|teams|topics|keys|invitations|transfer)" + REST_TAIL, "administration"),
    ("GET HEAD", REPOS + r"/(?:languages|contributors|forks|stargazers|subscribers)$", "metadata:read"),
    (ANY, r"^/orgs/{org}/personal-access-token-requests" + REST_TAIL, "organization_personal_access_token_requests"),
    (ANY, r"^/orgs/{org}/personal-access-tokens" + REST_TAIL, "organization_personal_access_tokens"),
    (ANY, r"^/orgs/{org}/hooks" + REST_TAIL, "organization_hooks"),
    (ANY, r"^/orgs/{org}/(?:members|memberships|public_members|teams|invitations|outside_collaborators)"
     + REST_TAIL, "members"),
    ("GET HEAD PATCH", r"^/orgs/{org}$", "organization_administration"),
    ("GET HEAD", r"^/enterprises/{enterprise}/audit-log$", "audit_log:read"),
    (ANY, r"^/enterprises/{enterprise}" + REST_TAIL, "enterprise_administration"),
)  # fmt: skip

METHOD_RE = re.compile(r"^[A-Z]{1,16}\Z")
# What makes a gateway and the server behind it read one path differently: dot or
# empty segments, encoded slashes, dots and backslashes, control characters.
UNSETTLED_PATH_RE = re.compile(r"//|/\.\.?(?:/|$)|%(?:2[eEfF]|5[cC]|[01][0-9a-fA-F]|7[fF])|\\|[\x00-\x1f\x7f]")
API_PREFIX = "/api/v3"
GIT_SERVICES = frozenset({"git-upload-pack", "git-receive-pack"})


@dataclass(frozen=True)
class Route:
    methods: frozenset[str] | None  # None: any method
    pattern: re.Pattern
    permission: str
    level: str | None  # None: from the method


@dataclass(frozen=True)
class Mapped:
    resource: ResourceName
    permission: str
    level: str


@dataclass(frozen=True)
class Refused:
    status: int
    reason: str
    message: str


def compile_route(row) -> Route:
    """A row of the table → a `Route`; ValueError naming what is wrong (settings are checked at start)."""
    if not isinstance(row, (list, tuple)) or len(row) != 3 or not all(isinstance(part, str) for part in row):
        raise ValueError(f"Each route is [methods, pattern, permission], three strings; not {row!r}.")
    methods, pattern, permission = row
    name, _, level = permission.partition(":")
    if level:
        parse_permission(permission)
    elif name not in PERMISSIONS:
        raise ValueError(f"Unknown permission {name!r} in route {pattern!r}.")
    for placeholder, group in PLACEHOLDERS.items():
        pattern = pattern.replace(placeholder, group)
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ValueError(f"Route {row[1]!r} is not a regular expression: {error}.") from None
    if not {"owner", "org", "enterprise"} & set(compiled.groupindex):
        raise ValueError(f"Route {row[1]!r} names no resource: use {{owner}}/{{repo}}, {{org}} or {{enterprise}}.")
    chosen = None if methods.strip() == ANY else frozenset(methods.upper().split())
    return Route(chosen, compiled, name, level or None)


@lru_cache(maxsize=1)
def _routes(extra: tuple) -> tuple[Route, ...]:
    return tuple(compile_route(row) for row in (*extra, *DEFAULT_ROUTES))


def routes() -> tuple[Route, ...]:
    """The operator's rows (PATROL_FORWARD_AUTH_ROUTES) first, then the defaults."""
    return _routes(tuple(tuple(row) for row in settings.PATROL_FORWARD_AUTH_ROUTES))


def _forget_routes(setting, **kwargs) -> None:
    if setting == "PATROL_FORWARD_AUTH_ROUTES":  # tests change the table; production reads it once
        map_request.cache_clear()


setting_changed.connect(_forget_routes)


def _resource_of(match: re.Match) -> str:
    groups = match.groupdict()
    if groups.get("enterprise"):
        return f"enterprise:{groups['enterprise']}"
    if groups.get("org"):
        return groups["org"]
    repo = groups.get("repo")
    if repo is None:
        return groups["owner"]
    if repo.endswith(".git") and len(repo) > 4:
        repo = repo[:-4]
    return f"{groups['owner']}/{repo}"


@lru_cache(maxsize=4096)
def map_request(method: str, uri: str) -> Mapped | Refused:
    """The resource and permission `method uri` needs, or why none: fail closed (403).

    Remembered: a gateway asks about the same few URIs over and over.
    """
    if not METHOD_RE.match(method):
        return Refused(403, ROUTE_UNKNOWN, "The original method is not an HTTP method.")
    path, _, query = uri.partition("?")
    if not path.startswith("/") or UNSETTLED_PATH_RE.search(path):
        return Refused(
            403,
            ROUTE_UNKNOWN,
            "The original path is not a plain absolute path (dot or empty segments, encoded slashes or"
            " control characters); Patrol decides only on paths it reads as the server behind it does.",
        )
    if path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX) :]
    subject = path
    if path.endswith("/info/refs") and query:
        services = parse_qs(query, keep_blank_values=True).get("service", [])
        if len(services) > 1:
            return Refused(403, REQUEST_AMBIGUOUS, "The original query names more than one git service.")
        if services and services[0] not in GIT_SERVICES:
            return Refused(403, ROUTE_UNKNOWN, "The original query names no git service Patrol knows.")
        if services:
            subject = f"{path}?service={services[0]}"
    for route in routes():
        if route.methods is not None and method not in route.methods:
            continue
        match = route.pattern.match(subject)
        if match is None:
            continue
        level = route.level or ("read" if method in READ_METHODS else "write")
        if level not in PERMISSIONS[route.permission].levels:
            continue  # e.g. a write to a read-only permission: a later row may name another
        try:
            resource = parse_resource(_resource_of(match))
        except ValueError:
            break
        return Mapped(resource, route.permission, level)
    return Refused(
        403,
        ROUTE_UNKNOWN,
        f"No route maps a {method} of this path to a permission; Patrol refuses what it cannot name"
        " (PATROL_FORWARD_AUTH_ROUTES adds routes).",
    )


# --- The original request, in each gateway's convention -------------------------------

# (URI header, method header) as WSGI names them: nginx's usual names, then Traefik's.
HEADER_PAIRS = (
    ("HTTP_X_ORIGINAL_URI", "HTTP_X_ORIGINAL_METHOD"),
    ("HTTP_X_FORWARDED_URI", "HTTP_X_FORWARDED_METHOD"),
)


def original_request(meta: dict, method: str, suffix: str) -> tuple[str, str] | Refused:
    """(method, URI) of the request the gateway holds.

    nginx sends X-Original-URI and X-Original-Method (set in its configuration),
    Traefik X-Forwarded-Uri and X-Forwarded-Method, Envoy the original path after
    the endpoint's own (`suffix`) with the original method. Every convention
    present must agree: a gateway passes its client's own headers on, and a
    client could otherwise name a request other than the one it sends.
    """
    seen = set()
    if suffix:
        query = meta.get("QUERY_STRING", "")
        seen.add((method, f"/{suffix}?{query}" if query else f"/{suffix}"))
    for uri_header, method_header in HEADER_PAIRS:
        uri = meta.get(uri_header)
        if uri is None:
            continue
        named = meta.get(method_header)
        if named is None:
            return Refused(403, REQUEST_AMBIGUOUS, "Send the original method with the original URI.")
        seen.add((named.strip().upper(), uri.strip()))
    if not seen:
        return Refused(
            403,
            REQUEST_AMBIGUOUS,
            "Name the original request: X-Original-URI and X-Original-Method (nginx),"
            " X-Forwarded-Uri and X-Forwarded-Method (Traefik), or the path after this one (Envoy).",
        )
    if len(seen) > 1:
        return Refused(403, REQUEST_AMBIGUOUS, "The request's headers name more than one original request.")
    return seen.pop()


# --- The caller's credentials -----------------------------------------------------------

# What git and GitHub's clients put beside the token for a user name, and a token as the user name.
PLACEHOLDER_PASSWORDS = frozenset({"", "x-oauth-basic"})


def presented_token(meta: dict) -> str | Refused:
    """The token in `Authorization`: Basic (the password, any user name; or the user name
    alone, as `https://<token>@host` sends it), `Bearer <token>` or `token <token>`."""
    header = meta.get("HTTP_AUTHORIZATION", "").strip()
    if not header:
        return Refused(401, CREDENTIALS_MISSING, "Send a personal access token: the password of HTTP Basic.")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    scheme = scheme.lower()
    if scheme in ("bearer", "token") and value:
        return value
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user, colon, password = decoded.partition(":")
        if colon:
            token = user if password in PLACEHOLDER_PASSWORDS else password
            if token:
                return token
    return Refused(401, CREDENTIAL_INVALID, "The Authorization header holds no token Patrol can read.")


# --- Answer headers ---------------------------------------------------------------------


def header_text(text: str, limit: int = 500) -> str:
    """`text` as a header value: printable ASCII only, so no character can end or split a header."""
    plain = unicodedata.normalize("NFKD", text.replace("\u2014", "-").replace("\u2013", "-"))
    return "".join(c for c in plain if " " <= c <= "~")[:limit]
