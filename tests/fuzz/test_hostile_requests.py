"""Hostile paths, query strings, headers, forms and JSON bodies against every URL: never a 5xx (issue 16 point 3).

The URL configuration is walked as tests/security/test_url_matrix.py walks
it, and each pattern is filled from its first MATRIX row: a URL added later is
fuzzed without a new row here. Site and admin pages are fetched as the
superuser, who is let past authorization everywhere; the v1 API with the
API client's secret and v3 with olga's own token (an organization owner). Every request
runs in a rolled-back savepoint of the module's world (`send`), so a POST
changes nothing for the next. PostgreSQL is the database that matters (its
text cannot hold NUL): CI runs this module there too.

The tables are explicit, so a failure names its input; `test_generated_json`
adds Hypothesis-generated JSON documents with hostile text to every API
POST, derandomized and bounded.
"""

import json
from copy import deepcopy

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.test_url_matrix import MATRIX, PATTERNS, fill, world  # noqa: F401 (world is a fixture)

pytestmark = pytest.mark.django_db

TEXT, NUMBER = "hostiletext", 424242424  # placeholders, replaced in the filled path
SITE_ROLES = ("superuser",)  # every site and admin page lets them past authorization

# Percent-encoded as a client would send them; each replaces one text parameter of a path.
PATH_TEXT = {
    "NUL": "%00",
    "NUL inside": "ac%00me",
    "invalid UTF-8": "%FF%FE",
    "encoded surrogate": "%ED%A0%80",
    "overlong NUL": "%C0%80",
    "right-to-left override": "%E2%80%AE",
    "literal %00": "%2500",
    "newline": "a%0Ab",
    "dot-dot": "..",
    "long": "x" * 3000,
    "template": "%7B%7B7*7%7D%7D",
    "quote": "%27%20OR%201=1--",
}
# Each replaces one integer parameter.
PATH_NUMBER = {"zero": "0", "beyond bigint": "9" * 30, "beyond int()": "9" * 5000}

QUERIES = {
    "NUL search": "q=%00",
    "NUL filter": "username=%00",
    "NUL name": "%00=1",
    "invalid UTF-8": "q=%FF%FE&%FF=%FE",
    "encoded surrogate": "q=%ED%A0%80",
    "bad ordering": "o=-1.x.99",
    "bad page": "p=-1&page=1e999&per_page=-1",
    "huge page": "p=99999999999999999999&page=99999999999999999999",
    "hidden field": "_to_field=password",
    "bad lookups": "id=abc&id__in=1,abc&created_at__gte=notadate",
    "GitHub lists": "owner[]=%FF&token_id[]=99999999999999999999999&last_used_before=%FF&direction=up",
    "long": "q=" + "x" * 5000,
}

FORMS = {
    "NUL": {"name": "a\x00", "q": "x"},
    "admin action on a word": {"action": "delete_selected", "_selected_action": ["abc"], "index": "x"},
    "admin action on a huge id": {"action": "delete_selected", "_selected_action": ["9" * 30]},
    "junk everywhere": {
        "name": "\u202e" * 50,
        "expires_at": "9999-99-99",
        "repository_access": "\x01",
        "permissions": "{",
        "organization": "9" * 30,
        "scopes": ["%FF", "admin:org" * 100],
        "reason": "x" * 100_000,
    },
}

DEEP = "[" * 1000 + "]" * 1000
JSON_BODIES = {
    "deep array": DEEP.encode(),
    "deep object": ('{"a":' * 1000 + "1" + "}" * 1000).encode(),
    "deep in a field": b'{"checks": [' + DEEP.encode() + b'], "pat_ids": ' + DEEP.encode() + b"}",
    "as deep as allowed": ("[" * 32 + "]" * 32).encode(),
    "duplicate key": b'{"action": "deny", "action": "approve", "token": "a", "token": "b"}',
    "inf": b'{"token": 1e999, "pat_ids": [1e999]}',
    "huge integer": b'{"pat_ids": [' + b"9" * 5000 + b"]}",
    "bigint id": b'{"action": "revoke", "pat_ids": [99999999999999999999], "pat_request_ids": [-1]}',
    "NaN": b'{"token": NaN, "explain": Infinity}',
    "invalid UTF-8": b'{"token": "\xff\xfe"}',
    "UTF-16": json.dumps({"token": "x"}).encode("utf-16"),
    "NUL string": b'{"token": "a\\u0000", "resource": "acme/we\\u0000b", "reason": "\\u0000"}',
    "NUL key": b'{"\\u0000": 1}',
    "lone surrogate": b'{"token": "\\ud800", "reason": "\\udfff", "action": "deny"}',
    "truncated": b'{"checks": [{"token": "x"',
    "empty": b"",
    "null": b"null",
    "array": b"[]",
    "string": b'"check"',
    "BOM only": b"\xef\xbb\xbf",
    "wrong types": b'{"checks": {"0": 1}, "token": [], "resource": {}, "action": 1, "pat_ids": "1", "reason": []}',
    "control characters": b'{"token": "a\\u0001\\u001b[31m", "reason": "line\\r\\nBcc: x@y", "action": "deny"}',
}
CONTENT_TYPES = {
    "JSON with a charset": "application/json; charset=latin-1",
    "unknown charset": "application/x-www-form-urlencoded; charset=nope",
    "form": "application/x-www-form-urlencoded",
    "multipart without a boundary": "multipart/form-data",
    "text": "text/plain",
}
HEADERS = {
    "NUL bearer": {"HTTP_AUTHORIZATION": "Bearer \x00"},
    "long bearer": {"HTTP_AUTHORIZATION": "Bearer " + "x" * 10_000},
    "NUL accept": {"HTTP_ACCEPT": "\x00"},
    "junk accept": {"HTTP_ACCEPT": "application/json; q=x; ; ,,"},
    "NUL cookie": {"HTTP_COOKIE": "sessionid=abcdefghij\x00klm; csrftoken=\x00"},
    "junk cookie": {"HTTP_COOKIE": 'sessionid="\\377\\376"; ;=;'},
    "NUL user agent": {"HTTP_USER_AGENT": "x\x00"},
    "NUL forwarded for": {"HTTP_X_FORWARDED_FOR": "1.2.3.4\x00, ::1"},
    "bad host": {"HTTP_HOST": "evil\x00.example"},
}

# Patterns without a MATRIX row are test_url_matrix's failure to report, not this module's.
ROWED = [(key, route) for key, route in PATTERNS if key in MATRIX]
WITH_PARAMETERS = [(key, route) for key, route in ROWED if "<" in route or "(?P" in route]
SITE_POSTS = [(key, route) for key, route in ROWED if not route.startswith("api/") and MATRIX[key][0].post]
API_POSTS = [(key, route) for key, route in ROWED if route.startswith("api/") and MATRIX[key][0].post]
SITE_SAMPLE = ("home", "login", "tokens:list", "organization_pat_settings", "admin:organizations_user_changelist")


def is_api(route: str) -> bool:
    return route.startswith("api/")


def clients_for(w, route: str):
    """(role, client) pairs that reach past authentication on this pattern."""
    if not is_api(route):
        return [(role, w.clients[role][0]) for role in SITE_ROLES]
    role = "olga" if route.startswith("api/v3/") else "api_client"
    return [(role, w.clients[role][1])]


def first_path(key: str, route: str, w, **overrides) -> str:
    row = MATRIX[key][0]
    return fill(key, route, {**row.kwargs(w), **overrides})


def send(client, method: str, path: str, *, data=None, body=None, content_type="", **headers) -> tuple[int, str]:
    """One request in a rolled-back savepoint with the client's cookies restored (a POST may sign out).

    Raw `body` bytes go as they are; `data` as a multipart form. An exception is reported as a 500.
    """
    cookies = deepcopy(client.cookies)
    try:
        with transaction.atomic():
            if method == "get":
                response = client.get(path, **headers)
            elif body is not None:
                response = client.generic("POST", path, body, content_type, **headers)
            else:
                response = client.post(path, data or {}, **headers)
            transaction.set_rollback(True)
    except Exception as error:
        return 500, f"{type(error).__name__}: {error}"
    finally:
        client.cookies = cookies
    body = b"".join(response.streaming_content) if response.streaming else response.content  # a CSV streams
    return response.status_code, body[:200].decode(errors="replace")


def server_errors(w, route: str, requests) -> list[str]:
    """Each (method, path, send's keywords) as each role: those answered with a 5xx."""
    failures = []
    for method, path, keywords in requests:
        for role, client in clients_for(w, route):
            status, text = send(client, method, path, **keywords)
            if status >= 500:
                failures.append(f"{method.upper()} {path[:120]} {str(keywords)[:120]} as {role}: {status} {text}")
    return failures


EMPTY_JSON = {"body": b"{}", "content_type": "application/json"}


@pytest.mark.parametrize(("key", "route"), WITH_PARAMETERS, ids=[key for key, _ in WITH_PARAMETERS])
def test_hostile_path_parameters(key, route, world):  # noqa: F811
    row = MATRIX[key][0]
    kwargs = row.kwargs(world)
    methods = ("get", "post") if row.post else ("get",)
    requests = []
    for name, value in kwargs.items():
        placeholder, table = (NUMBER, PATH_NUMBER) if isinstance(value, int) else (TEXT, PATH_TEXT)
        try:
            template = first_path(key, route, world, **{name: placeholder})
        except Exception:  # a parameter whose converter takes no placeholder (a content type id given as "x")
            continue
        for hostile in table.values():
            path = template.replace(str(placeholder), hostile)
            requests += [(method, path, EMPTY_JSON) for method in methods]
    failures = server_errors(world, route, requests)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("key", "route"), ROWED, ids=[key for key, _ in ROWED])
def test_hostile_query_strings(key, route, world):  # noqa: F811
    path = first_path(key, route, world)
    requests = [("get", f"{path}?{query}", {}) for query in QUERIES.values()]
    failures = server_errors(world, route, requests)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("key", "route"), SITE_POSTS, ids=[key for key, _ in SITE_POSTS])
def test_hostile_forms(key, route, world):  # noqa: F811
    path = first_path(key, route, world)
    requests = [("post", path, {"data": form}) for form in FORMS.values()]
    failures = server_errors(world, route, requests)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("key", "route"), API_POSTS, ids=[key for key, _ in API_POSTS])
def test_hostile_json_bodies(key, route, world):  # noqa: F811
    path = first_path(key, route, world)
    requests = [
        ("post", path, {"body": body, "content_type": content_type})
        for body in JSON_BODIES.values()
        for content_type in ("application/json", *CONTENT_TYPES.values())
    ]
    failures = server_errors(world, route, requests)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("header", HEADERS, ids=list(HEADERS))
@pytest.mark.parametrize("key", SITE_SAMPLE + tuple(key for key, _ in API_POSTS))
def test_hostile_headers(key, header, world):  # noqa: F811
    route = dict(PATTERNS)[key]
    path = first_path(key, route, world)
    requests = [(method, path, {**EMPTY_JSON, **HEADERS[header]}) for method in ("get", "post")]
    failures = server_errors(world, route, requests)
    assert not failures, "\n".join(failures)


HOSTILE_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=40) | st.sampled_from(
    ["\x00", "\ud800", "acme/we\x00b", "patrol_fg_" + "x" * 40, "acme/web", "contents:read", "deny", "revoke"]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_TEXT, inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(["token", "resource", "permission", "explain", "checks", "action", "reason", "pat_ids"])
DOCUMENTS = st.dictionaries(KEYS, JSON_VALUES, max_size=5) | JSON_VALUES


@pytest.mark.parametrize(("key", "route"), API_POSTS, ids=[key for key, _ in API_POSTS])
def test_generated_json(key, route, world):  # noqa: F811
    path = first_path(key, route, world)
    (_, client), *_ = clients_for(world, route)

    @settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(document=DOCUMENTS)
    def never_a_server_error(document):
        body = json.dumps(document).encode()  # NaN and Infinity too, as Python writes them
        status, text = send(client, "post", path, body=body, content_type="application/json")
        assert status < 500, (body[:300], text)

    never_a_server_error()
