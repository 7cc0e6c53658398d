"""What checks, introspection and API clients read, straight from the database.

`tokens.engine.facts_cache.CachedSource` wraps this source the way Django's
`cached_db` session store wraps the database one: same methods, answered from
what the process holds where it can. `tokens.engine.facts_cache.source()`
gives the one to use now; nothing else knows the cache exists.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from organizations.models import User

from ..models import ApiClient
from .credentials import parse_kind
from .decision import Decision, ResourceFacts, decide
from .facts import PERSONAL_TOKEN_TYPES, CheckInput, LoadedCredential, check_keys, facts_for, load_token
from .facts_batch import load_parts
from .usage import last_uses, record_use_many, report_unknown

# (the decision, the credential as loaded or None, the resource asked about)
Answer = tuple[Decision, LoadedCredential | None, ResourceFacts]


@dataclass(frozen=True)
class AuthenticatedClient:
    """An API client, as its secret authenticated it (behaviour §5.4)."""

    id: int
    name: str
    rate_per_minute: int | None
    key: str  # names the client's rate-limit counter: the start of its secret's digest
    enterprise: str | None = None  # the slug of the enterprise it is scoped to (tokens.engine.access); None: site-wide
    last_used_at: datetime | None = None  # as loaded; what record_use_many judges by

    is_authenticated = True


def answer(check: CheckInput, keys: tuple, credentials: dict, resources: dict, *, now) -> Answer:
    """The check decided from its parts: the credential (None: unknown) and the resource its keys name."""
    credential_key, resource_key = keys
    if credential_key is None:
        facts = facts_for(check, None, None, now=now, malformed=True)
        return decide(facts), None, facts.resource
    loaded = credentials[credential_key]
    facts = facts_for(check, loaded, resources[resource_key] if loaded is not None else None, now=now)
    return decide(facts), loaded, facts.resource


def unknown_tokens(checks: list[CheckInput], keys: list, loaded: dict) -> list[str]:
    """The well-formed tokens of `checks` that were just loaded (in `loaded`) and not found."""
    return list(
        {
            check.token: None
            for check, (credential, _) in zip(checks, keys, strict=True)
            if check.token is not None and credential in loaded and loaded[credential] is None
        }
    )


class DatabaseSource:
    def decide(self, checks: list[CheckInput], *, now) -> list[Answer]:
        """Each check's parts loaded — one query for one check, a fixed few for a batch — then decided."""
        stored_under = {}  # each token hashed once, for this batch only
        keys = check_keys(checks, stored_under)
        credentials, resources = load_parts(checks, keys, {}, {}, stored_under)
        self.record_unknown(unknown_tokens(checks, keys, credentials))
        return [answer(check, key, credentials, resources, now=now) for check, key in zip(checks, keys, strict=True)]

    def token(self, plaintext: str) -> LoadedCredential | None:
        """A personal access token by its plaintext (None: malformed, no query, or unknown)."""
        loaded = load_token(plaintext)
        if loaded is None and parse_kind(plaintext) in PERSONAL_TOKEN_TYPES:
            self.record_unknown([plaintext])
        return loaded

    def api_client(self, digests: list[str]) -> AuthenticatedClient | None:
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

    def belongs(self, user_id: int, enterprise: str) -> bool:
        """Whether the user is a member of one of the enterprise's organizations, or managed by it (one query)."""
        return User.objects.filter(
            Q(managed_by__slug=enterprise) | Q(memberships__organization__enterprise__slug=enterprise), pk=user_id
        ).exists()

    def record_use(self, used: dict, *, now) -> None:
        record_use_many(last_uses(used), now=now)

    def record_unknown(self, plaintexts: list[str]) -> None:
        """Report tokens no credential was found for: a secret a token was rotated away from is a leak
        (behaviour §5.4). Only when loaded: a process holding a token as unknown reported it then."""
        if plaintexts:
            report_unknown(plaintexts)
