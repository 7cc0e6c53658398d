"""API clients authenticate with ``Authorization: Bearer <client secret>`` (behaviour §5.4)."""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tokens import services
from tokens.api import throttling
from tokens.api.throttling import COUNTER_SECONDS, counter_key, current_window
from tokens.choices import CredentialType
from tokens.engine import credentials, facts_cache
from tokens.engine.catalogue import ResourceKind
from tokens.engine.decision import Facts, ResourceFacts, gate_usable
from tokens.engine.source import AuthenticatedClient
from tokens.models import ApiClient

# No process keeps a client of its own: a revoke must stop the very next
# request in every process. The facts cache holds clients under its version,
# which a revoke bumps (tokens/engine/facts_cache.py); without it, every
# request reads its client (one query).


def bearer_token(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate_client(secret: str) -> AuthenticatedClient | None:
    return _authenticate(secret)[0]


def _authenticate(secret: str) -> tuple[AuthenticatedClient | None, dict[str, int]]:
    """The client, and the rate-limit counters this request was counted in here, with their values."""
    if credentials.parse_kind(secret) != CredentialType.API_CLIENT:
        return None, {}  # malformed: refused without a lookup
    digests = credentials.candidate_digests(secret)
    key = counter_key(digests[0][:24], current_window())
    # Counted in this process and sent with the request's read of the facts version: one round trip.
    counting = facts_cache.version_read_pending()
    if counting:
        throttling.counters.add(key, COUNTER_SECONDS)
    source = facts_cache.source()
    counted = {key: throttling.counters.value(key)} if counting else {}
    client = source.api_client(digests)
    if client is not None:
        source.record_use({(ApiClient, client.id): client}, now=timezone.now())
    return client, counted


class ApiClientAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        secret = bearer_token(request)
        if secret is None:
            return None
        client, request.rate_counted = _authenticate(secret)  # read by throttling.ApiClientRateThrottle
        if client is None:
            raise exceptions.AuthenticationFailed("Invalid API client credentials.", code="invalid_token")
        return (client, client)

    def authenticate_header(self, request):
        return 'Bearer realm="patrol"'


class GatewayClientAuthentication(ApiClientAuthentication):
    """A gateway's forward-auth request carries the caller's own credentials in
    Authorization, so its client secret comes in a header of its own (docs/gateway.md)."""

    def authenticate(self, request):
        secret = request.META.get("HTTP_X_PATROL_CLIENT", "").strip()
        if not secret:
            return None
        if secret[:7].lower() == "bearer ":
            secret = secret[7:].strip()
        client, request.rate_counted = _authenticate(secret)  # read by throttling.ApiClientRateThrottle
        if client is None:
            raise exceptions.AuthenticationFailed("Invalid API client credentials.", code="invalid_token")
        return (client, client)

    def authenticate_header(self, request):
        return 'X-Patrol-Client realm="patrol"'


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


class GatewayClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = GatewayClientAuthentication
    name = "gatewayClient"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Patrol-Client",
            "description": "An API client's secret, sent by the gateway; Authorization carries the caller's token.",
        }


INVALID_TOKEN = "Invalid token."
NOWHERE = ResourceFacts(kind=ResourceKind.ACCOUNT, name="", exists=False)


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    """A holder's own fine-grained or classic token, ``Authorization: Bearer <token>`` (behaviour §5.4).

    Refused as the engine would refuse it (unknown, revoked, expired, suspended
    holder). A secret the token was rotated away from is refused as unknown, and
    revokes the token as leaked first (reuse detection).
    """

    def authenticate(self, request):
        plaintext = bearer_token(request)
        if plaintext is None:
            return None
        loaded = (
            facts_cache.source().token(plaintext) if credentials.parse_kind(plaintext) in services.ROTATABLE else None
        )
        if loaded is None:
            services.retired_secret_used(presented=plaintext)
            raise exceptions.AuthenticationFailed(INVALID_TOKEN, code="invalid_token")
        refusal = gate_usable(Facts(loaded.facts, NOWHERE, "profile", "read", timezone.now()))
        if refusal is not None:
            raise exceptions.AuthenticationFailed(refusal.message, code="invalid_token")
        token = loaded.model.objects.select_related("user").get(pk=loaded.facts.id)
        return (token.user, token)

    def authenticate_header(self, request):
        return 'Bearer realm="patrol"'


class PersonalTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = PersonalTokenAuthentication
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "The holder's own fine-grained or classic token."}
