"""API clients authenticate with ``Authorization: Bearer <client secret>`` (SPEC §5.4)."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tokens.api.throttling import COUNTER_SECONDS, counter_key, current_window
from tokens.choices import CredentialType
from tokens.engine import credentials, facts_cache, usage
from tokens.engine.usage import record_use_many
from tokens.models import ApiClient

# No process keeps a client of its own: a revoke must stop the very next
# request in every process. With the facts cache on, clients are held with the
# check facts and a revoke bumps their shared version (tokens/engine/facts_cache.py);
# without it, every request reads its client (one query).


@dataclass(frozen=True)
class AuthenticatedClient:
    id: int
    name: str
    rate_per_minute: int | None
    key: str  # names the client's rate-limit counter: the start of its secret's digest
    enterprise: str | None = None  # the slug of the enterprise it is scoped to (tokens.engine.access); None: site-wide
    last_used_at: datetime | None = None  # as loaded; what record_use_many judges by

    is_authenticated = True


def bearer_token(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate_client(secret: str) -> AuthenticatedClient | None:
    if credentials.parse_kind(secret) != CredentialType.API_CLIENT:
        return None  # malformed: refused without a lookup
    digests = credentials.candidate_digests(secret)
    # The rate limit's counter rides along with the version read (one round trip).
    store = facts_cache.current(count=(counter_key(digests[0][:24], current_window()), COUNTER_SECONDS))
    client = facts_cache.remember(store, ("api-client", digests[0]), lambda: _client(digests))
    if client is not None:
        used, now = {(ApiClient, client.id): client}, timezone.now()
        if store is None:
            record_use_many(used, now=now)
        else:
            usage.record(used, now=now)  # a held client carries a stale last use: tokens.engine.usage judges
    return client


def _client(digests) -> AuthenticatedClient | None:
    """The unrevoked client with one of `digests` (one query)."""
    row = (
        ApiClient.objects.filter(digest__in=digests, revoked_at=None)
        .values("id", "name", "rate_per_minute", "enterprise__slug", "last_used_at")
        .first()
    )
    if row is None:
        return None
    return AuthenticatedClient(
        row["id"],
        row["name"],
        row["rate_per_minute"],
        key=digests[0][:24],
        enterprise=row["enterprise__slug"],
        last_used_at=row["last_used_at"],
    )


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
