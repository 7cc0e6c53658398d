"""API clients authenticate with ``Authorization: Bearer <client secret>`` (SPEC §5.4)."""

import logging
from dataclasses import dataclass

from django.core.cache import cache
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from config.cache import warn_cache_unreachable
from tokens import credentials, facts_cache
from tokens.api.throttling import COUNTER_SECONDS, counter_key, current_window
from tokens.models import ApiClient
from tokens.services import api_client_cache_key

# The check API is the hot path: a known client costs no query on most checks.
# With the facts cache on, a client is held with the check facts of each
# process and a revoke bumps their version (tokens/facts_cache.py). Without
# it, a known client is remembered in the cache for a minute, and revoking it
# deletes the entry (tokens.services.api_client_revoke).
CLIENT_CACHE_SECONDS = 60

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthenticatedClient:
    id: int
    name: str
    rate_per_minute: int | None
    key: str  # names the client's rate-limit counter: the start of its secret's digest

    is_authenticated = True


def bearer_token(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate_client(secret: str) -> AuthenticatedClient | None:
    if credentials.parse_kind(secret) != credentials.TokenKind.API_CLIENT:
        return None  # malformed: refused without a lookup
    digests = credentials.candidate_digests(secret)
    key = digests[0][:24]
    # The rate limit's counter rides along with the version read (one round trip).
    store = facts_cache.current(count=(counter_key(key, current_window()), COUNTER_SECONDS))
    if store is not None:
        return facts_cache.remember(store, ("api-client", digests[0]), lambda: _client(digests)[0])
    try:
        for digest in digests:
            cached = cache.get(api_client_cache_key(digest))
            if cached is not None:
                return cached
    except Exception:
        warn_cache_unreachable(logger, "API clients are read from the database: the cache is unreachable.")
        return _client(digests)[0]
    client, digest = _client(digests)
    if client is not None:
        cache.set(api_client_cache_key(digest), client, CLIENT_CACHE_SECONDS)
    return client


def _client(digests) -> tuple[AuthenticatedClient | None, str | None]:
    """The unrevoked client with one of `digests`, and its digest (one query)."""
    row = (
        ApiClient.objects.filter(digest__in=digests, revoked_at=None)
        .values("id", "name", "rate_per_minute", "digest")
        .first()
    )
    if row is None:
        return None, None
    client = AuthenticatedClient(row["id"], row["name"], row["rate_per_minute"], key=digests[0][:24])
    return client, row["digest"]


class ApiClientAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        secret = bearer_token(request)
        if secret is None:
            return None
        client = authenticate_client(secret)
        if client is None:
            raise exceptions.AuthenticationFailed("Invalid API client credentials.", code="invalid_token")
        return (client, client)

    def authenticate_header(self, request):
        return 'Bearer realm="patrol"'


class IsApiClient:
    """Only authenticated API clients; anonymous callers get 401."""

    def has_permission(self, request, view):
        return isinstance(request.auth, AuthenticatedClient)

    def has_object_permission(self, request, view, obj):
        return self.has_permission(request, view)


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiClientAuthentication
    name = "apiClient"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API client's secret (create_api_client)."}
