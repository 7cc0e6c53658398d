"""Check facts kept in each process, never stale (issue 5: caching that is never stale).

A check's facts — the credential with its grant and latest request, the
resource, the user's standing towards it — come from two queries
(tokens.facts). A gateway asks about the same tokens and repositories over and
over, so each process keeps the facts it loaded, keyed by what was asked, and
answers the next identical check without a query.

What keeps them true is one shared version, a random value in the shared
cache (Redis when several processes serve checks):

- every check reads the version first (one cache round trip) and uses only
  facts stored under that same version, loaded after the version was read;
- every write to a row that facts come from bumps the version to a new random
  value — once inside the transaction and again once it commits (signals on
  every model the loaders read, see `connect`). The bump after commit runs
  before the request that made the change answers, so the very next check,
  in any process, reads the new version and reloads from the database. The
  bumps inside the transaction keep code that reads its own uncommitted
  writes (a test's transaction) honest too.

A version is never reused, so a restarted or flushed Redis cannot bring old
facts back. A process also drops each entry it holds after at most
`PATROL_FACTS_CACHE_SECONDS`, which bounds what could go wrong if a process
died between its commit and its bump, or if Redis was unreachable for the
bump. While the version cannot be read, checks go to the database.

Writes are rare next to checks, so one version for everything keeps the proof
simple: any change to any fact is honoured by the next check. Finer keys
(per organization, per token) would keep more entries warm through writes; it
is not needed at today's write rates.

The cache is on when `PATROL_FACTS_CACHE` is true: by default when a shared
cache is configured (CACHE_URL/REDIS_URL). A process-local cache (LocMem) is
only safe when one process serves everything.
"""

import logging
import random
import secrets
import threading
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from config.cache import get_and_count, warn_cache_unreachable

from . import credentials
from .decision import SSH_KEY
from .facts import CheckInput, credential_kind, resource_kind

logger = logging.getLogger(__name__)

VERSION_KEY = "patrol:facts-version"


def enabled() -> bool:
    return settings.PATROL_FACTS_CACHE


def _new_version() -> str:
    return secrets.token_hex(12)


class _Store:
    """What one process holds under one version.

    Each entry lives at most `PATROL_FACTS_CACHE_SECONDS` (three quarters of
    it to all of it, at random, so a process never reloads everything at once).
    """

    def __init__(self, version: str):
        self.version = version
        self.entries = {}  # check key -> (deadline, (loaded, resource, relation))
        self.decisions = {}  # (check key, permission, level) -> (deadline, (decision, loaded, expired))

    def get(self, key, *, held_in=None):
        held = (self.entries if held_in is None else held_in).get(key)
        if held is None or held[0] < time.monotonic():
            return None
        return held[1]

    def put(self, key, value, *, into=None) -> None:
        held = self.entries if into is None else into
        if len(held) >= settings.PATROL_FACTS_CACHE_ENTRIES:
            # Forget the oldest entry; dicts keep insertion order.
            held.pop(next(iter(held)), None)
        lifetime = settings.PATROL_FACTS_CACHE_SECONDS * random.uniform(0.75, 1.0)  # noqa: S311  # nosec B311  # jitter
        held[key] = (time.monotonic() + lifetime, value)

    # A decision is a pure function of the facts and of `now`, and `now` only
    # matters against the credential's expiry (gate 3): a decision made before
    # the expiry holds until it, one made after holds from then on.

    def decision(self, key, check, now):
        """The (decision, loaded) held for this check at `now`, or None."""
        held = self.get((key, check.permission, check.level), held_in=self.decisions)
        if held is None:
            return None
        decision, loaded, expired = held
        if _expired(loaded, now) != expired:
            return None
        return decision, loaded

    def keep_decision(self, key, check, now, decision, loaded) -> None:
        self.put((key, check.permission, check.level), (decision, loaded, _expired(loaded, now)), into=self.decisions)


def _expired(loaded, now) -> bool:
    expires_at = loaded.facts.expires_at if loaded is not None else None
    return expires_at is not None and now >= expires_at


_store: _Store | None = None
# Within one request the version is read once: the authentication and the
# check it serves see one version, as if the request were answered at once.
_request = threading.local()
_UNREAD = object()


def _request_started(**kwargs) -> None:
    _request.store = _UNREAD
    _request.counted = {}


def _request_finished(**kwargs) -> None:
    _request.__dict__.pop("store", None)
    _request.__dict__.pop("counted", None)


def current(*, count: tuple[str, int] | None = None) -> _Store | None:
    """The store for the shared version now; None when caching is off or the version unreadable.

    `count` — a counter's key and timeout — rides along with the request's
    first version read in the same round trip; `counted(key)` then gives its
    value (the check API's rate limit, tokens.api.throttling).
    """
    if not enabled():
        return None
    memo = getattr(_request, "store", None)
    if memo is not None and memo is not _UNREAD:
        return memo
    store = _read(count if memo is _UNREAD else None)
    if memo is _UNREAD:
        _request.store = store
    return store


def counted(key: str) -> int | None:
    """The value a counter got with this request's version read, if it was counted there."""
    return getattr(_request, "counted", {}).get(key)


def _read(count: tuple[str, int] | None) -> _Store | None:
    global _store
    try:
        if count is None:
            version = cache.get(VERSION_KEY)
        else:
            version, _request.counted[count[0]] = get_and_count(caches["default"], VERSION_KEY, *count)
        if version is None:
            cache.add(VERSION_KEY, _new_version(), timeout=None)
            version = cache.get(VERSION_KEY)
    except Exception:
        warn_cache_unreachable(
            logger, "Check facts cache: the shared version cannot be read; checks go to the database."
        )
        _store = None
        return None
    if version is None:
        return None
    store = _store
    if store is None or store.version != version:
        store = _store = _Store(version)
    return store


def remember(store: "_Store | None", key, load):
    """`load()`, kept in `store` under `key` (or just `load()` without a store)."""
    if store is None:
        return load()
    held = store.get(key)
    if held is not None:
        return held[0]
    value = load()
    store.put(key, (value,))  # wrapped: None is a value worth holding (an unknown client)
    return value


def forget() -> None:
    """Drop everything this process holds (the test suite does, between tests)."""
    global _store
    _store = None


def bump() -> None:
    """Give facts a new version: every process reloads on its next check."""
    global _store
    _store = None
    if getattr(_request, "store", None) is not None:
        _request.store = _UNREAD
    try:
        cache.set(VERSION_KEY, _new_version(), timeout=None)
    except Exception:
        warn_cache_unreachable(
            logger,
            "Check facts cache: the version could not be bumped; processes reload within PATROL_FACTS_CACHE_SECONDS.",
        )


def _bump_after_commit() -> None:
    bump()


def facts_changed(sender=None, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Signal receiver: a row that facts come from was written."""
    if not enabled():
        return
    bump()
    connection = connections[using]
    # The bump that matters comes after commit; one per transaction is enough.
    # (`run_on_commit` holds (savepoints, callable, robust) for this transaction.)
    if connection.in_atomic_block and not any(entry[1] is _bump_after_commit for entry in connection.run_on_commit):
        transaction.on_commit(_bump_after_commit, using=using)


def check_keys(checks: list[CheckInput]) -> list[tuple | None]:
    """What identifies each check's facts; None for a malformed credential (no facts to keep).

    Tokens are keyed by their digest, so no plaintext stays in memory; a
    credential repeated in a batch is parsed and hashed once.
    """
    credential_keys, keys = {}, []
    for check in checks:
        asked = (check.ssh_key_fingerprint is not None, check.credential_value)
        if asked not in credential_keys:
            kind = credential_kind(check)
            if kind is None:
                credential_keys[asked] = None
            elif kind == SSH_KEY:
                credential_keys[asked] = (kind, check.ssh_key_fingerprint)
            else:
                credential_keys[asked] = (kind, credentials.candidate_digests(check.token)[0])
        credential = credential_keys[asked]
        keys.append(
            None
            if credential is None
            else (*credential, check.resource.text, resource_kind(check.resource, check.permission))
        )
    return keys


def token_key(token: str) -> tuple:
    return "token", credentials.candidate_digests(token)[0]


def connect() -> None:
    """Bump on every write to a row the loaders read (tokens.facts, tokens.facts_batch,
    and the API clients of tokens.api.authentication)."""
    from django.contrib.auth import get_user_model

    from enterprises.models import Enterprise, EnterprisePermission
    from organizations.models import Membership, Organization, OrganizationPermission, Repository

    from .models import AccessRequest, ApiClient, ClassicToken, FineGrainedToken, Grant, SSHKey

    for model in (
        get_user_model(),
        Enterprise,
        EnterprisePermission,
        Organization,
        OrganizationPermission,
        Membership,
        Repository,
        FineGrainedToken,
        ClassicToken,
        SSHKey,
        AccessRequest,
        Grant,
        ApiClient,
    ):
        post_save.connect(facts_changed, sender=model, dispatch_uid=f"facts-cache-save-{model._meta.label}")
        post_delete.connect(facts_changed, sender=model, dispatch_uid=f"facts-cache-delete-{model._meta.label}")
    m2m_changed.connect(
        facts_changed, sender=FineGrainedToken.repositories.through, dispatch_uid="facts-cache-token-repositories"
    )
    request_started.connect(_request_started, dispatch_uid="facts-cache-request-started")
    request_finished.connect(_request_finished, dispatch_uid="facts-cache-request-finished")
