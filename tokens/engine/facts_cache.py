"""Check facts kept in each process, never stale (issue 5: caching that is never stale).

A check's facts — the credential with its grant and latest request, the
resource, the user's standing towards it — come from two queries
(tokens.engine.facts). A gateway asks about the same tokens and repositories over and
over, so each process keeps the facts it loaded, keyed by what was asked, and
answers the next identical check without a query.

`CachedSource` wraps the database source (tokens.engine.source) the way
Django's `cached_db` session store wraps the db store, and `source()` picks
one of the two for each request: nothing outside this module holds facts,
reads the version or starts its threads.

What keeps them true is one shared version, a random value in the shared
cache (Redis when several processes serve checks), and a lease on it:

- a check uses only facts stored under the version its process read, loaded
  after that read;
- a process trusts a version it read for `PATROL_FACTS_LEASE_SECONDS` (its
  lease, counted from just before the read was sent) and then reads it again.
  Reading it on every check would cost a round trip to the shared cache —
  about as much as the rest of a warm check;
- every write to a row that facts come from bumps the version to a new random
  value — once inside the transaction and again once it commits (signals on
  every model the loaders read, see `connect`) — and after the committed bump
  the writer waits one lease before it goes on. By then every lease taken on
  the old version has ended, so when the request that made the change
  answers, the very next check, in any process, reads the new version and
  reloads from the database. The bumps inside the transaction keep code that
  reads its own uncommitted writes (a test's transaction) honest too.

A change thus costs its writer one lease (0.1 s by default) and a check almost
never waits on the shared cache: a process at 1,000 checks/s reads the version
once every hundred checks. Every process must use the same lease.

A version is never reused, so a restarted or flushed Redis cannot bring old
facts back. A process also drops each entry it holds after at most
`PATROL_FACTS_CACHE_SECONDS`, which bounds what could go wrong if a process
died between its commit and its bump, or if Redis was unreachable for the
bump; a thread reloads the facts checks keep asking for before then
(tokens/engine/refresher.py). While the version cannot be read, checks go to the database.

Writes are rare next to checks, so one version for everything keeps the proof
simple: any change to any fact is honoured by the next check. Finer keys
(per organization, per token) would keep more entries warm through writes; it
is not needed at today's write rates.

The cache is on when `PATROL_FACTS_CACHE` is true: by default when a shared
cache is configured (CACHE_URL/REDIS_URL). A process-local cache (LocMem) is
only safe when one process serves everything.
"""

import heapq
import itertools
import logging
import random
import secrets
import threading
import time
from dataclasses import replace

from django.conf import settings
from django.core.cache import cache, caches
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from config.cache import get_and_add, warn_cache_unreachable

from ..choices import CredentialType
from . import credentials, refresher, usage
from .decision import decide
from .facts import CheckInput, credential_kind, facts_for, resource_kind
from .source import Answer, AuthenticatedClient, DatabaseSource

logger = logging.getLogger(__name__)

VERSION_KEY = "patrol:facts-version"

# What held facts are timed by; the module's own name, so a test can move it
# on for the store alone (as `_wait` below, not time itself for every thread).
_clock = time.monotonic


def enabled() -> bool:
    return settings.PATROL_FACTS_CACHE


def _new_version() -> str:
    return secrets.token_hex(12)


class _Store:
    """What one process holds under one version.

    Each entry lives at most `PATROL_FACTS_CACHE_SECONDS` (three quarters of
    it to all of it, at random, so a process never reloads everything at
    once). A check's facts that checks keep asking for are reloaded before
    then, off the request path (`refresh_due`), so a busy key never costs a
    check a query just because its time was up.
    """

    def __init__(self, version: str):
        self.version = version
        self.trusted_until = 0.0  # the end of this process's lease on the version (above)
        self.entries = {}  # key -> (deadline, value)
        # (check key, permission, level) -> (the facts it was made from, decision, loaded, expired)
        self.decisions = {}
        # A heap of (when due, a tiebreaker, check key, the facts then held): due
        # times are drawn at random, so the order they were queued in is not theirs.
        self.refresh_queue = []
        self._queued = itertools.count()
        self.wanted = set()  # check keys whose decisions were asked for since their facts were loaded
        # One object for equal resources and relations across the checks held:
        # many tokens ask about one repository, and a worker holding fewer
        # objects spends less time in each full garbage collection.
        self.shared = {}
        self._lock = threading.Lock()  # the refresher thread writes here too

    def get(self, key):
        held = self.entries.get(key)
        if held is None or held[0] < _clock():
            return None
        return held[1]

    def put_check(self, key, value) -> None:
        """Hold a check's facts (loaded credential, resource, relation), to be reloaded ahead of their expiry."""
        loaded, resource, relation = value
        # (A relation with a grant is the token's own, and a grant's permissions are a dict: not hashable.)
        relation = relation if relation.grant else self._shared(relation)
        self.put(key, (loaded, self._shared(resource), relation), refresh=True)

    def put(self, key, value, *, refresh: bool = False) -> None:
        """Hold `value`; with `refresh`, queue it to be reloaded ahead of its expiry."""
        ttl = settings.PATROL_FACTS_CACHE_SECONDS
        loaded_at = _clock()
        with self._lock:
            if key not in self.entries and len(self.entries) >= settings.PATROL_FACTS_CACHE_ENTRIES:
                # Forget the oldest entry; dicts keep insertion order.
                self.entries.pop(next(iter(self.entries)), None)
            self.entries[key] = (loaded_at + ttl * random.uniform(0.75, 1.0), value)  # noqa: S311  # nosec B311
            if refresh:
                # Due between two fifths and seven tenths of the lifetime: before any expiry, spread out.
                when = loaded_at + ttl * random.uniform(0.4, 0.7)  # noqa: S311  # nosec B311
                heapq.heappush(self.refresh_queue, (when, next(self._queued), key, value))

    def _shared(self, facts):
        if len(self.shared) >= settings.PATROL_FACTS_CACHE_ENTRIES:
            self.shared.clear()
        return self.shared.setdefault(facts, facts)

    # A decision is a pure function of the facts and of `now`, and `now` only
    # matters against the credential's expiry (gate 3): a decision made before
    # the expiry holds until it, one made after holds from then on. It holds
    # while the very facts it was made from are held.

    def decision(self, key, check, now):
        """The (decision, loaded, resource) held for this check at `now`, or None."""
        held = self.decisions.get((key, check.permission, check.level))
        if held is None:
            return None
        made_from, decision, loaded, expired = held
        if self.get(key) is not made_from or _expired(loaded, now) != expired:
            return None
        self.wanted.add(key)
        return decision, loaded, made_from[1]

    def keep_decision(self, key, check, now, decision, loaded) -> None:
        made_from = self.get(key)
        if made_from is None:
            return
        decisions = self.decisions  # only request threads write here
        if len(decisions) >= settings.PATROL_FACTS_CACHE_ENTRIES:
            decisions.pop(next(iter(decisions)), None)
        decisions[(key, check.permission, check.level)] = (made_from, decision, loaded, _expired(loaded, now))

    def due(self, limit: int) -> list[tuple]:
        """Up to `limit` (check key, facts) due to be reloaded: still held, and asked for since they were loaded."""
        due, now, queue = [], _clock(), self.refresh_queue
        with self._lock:
            while queue and len(due) < limit and queue[0][0] <= now:
                _, _, key, value = heapq.heappop(queue)
                if key not in self.entries:
                    self.wanted.discard(key)  # evicted: nothing left to want
                elif self.get(key) is value and key in self.wanted:
                    self.wanted.discard(key)
                    due.append((key, value))
        return due

    def reloaded(self, due: list[tuple], fresh: dict) -> None:
        """Hold what the `due` facts reloaded as, unless a check replaced them meanwhile.

        Unchanged facts stay the same object, so the decisions made from them
        still hold; a credential no longer found is dropped, for its next check
        to load from the plaintext.
        """
        for key, value in due:
            if self.get(key) is not value:
                continue
            reloaded = fresh.get(key)
            if reloaded is None:
                with self._lock:
                    self.entries.pop(key, None)
            elif _same_facts(reloaded, value):
                self.put(key, value, refresh=True)
            else:
                self.put_check(key, reloaded)


def _same_facts(reloaded, held) -> bool:
    """Whether reloaded check facts say what the held ones do.

    The last use is left out: it moves every minute a token is used, and it
    decides nothing (tokens.engine.usage keeps its writes to one a minute on its own).
    Keeping the held objects keeps their decisions, and creates nothing new
    for the garbage collector to walk.
    """
    (loaded, *rest), (held_loaded, *held_rest) = reloaded, held
    return rest == held_rest and replace(loaded, last_used_at=held_loaded.last_used_at) == held_loaded


def _expired(loaded, now) -> bool:
    expires_at = loaded.facts.expires_at if loaded is not None else None
    return expires_at is not None and now >= expires_at


_store: _Store | None = None
# Within one request the version is read once: the authentication and the
# check it serves see one version, as if the request were answered at once.
_request = threading.local()
_UNREAD = object()


class _NoPassenger:
    """Nothing to send with a version read."""

    def take(self):
        return {}, 0

    def give_back(self, sent) -> None:
        pass

    def settle(self, totals, read_at) -> None:
        pass


# What rides along with each version read, sharing its round trip: the check
# API's rate-limit counters (tokens.api.throttling registers them with `carry`).
_passenger = _NoPassenger()


def carry(passenger) -> None:
    """Send `passenger`'s counts with each version read: `take()` before it, then
    `settle(totals, read_at)` with the counters' new totals, or `give_back(sent)` if it failed."""
    global _passenger
    _passenger = passenger


def _request_started(**kwargs) -> None:
    _request.store = _UNREAD


def _request_finished(**kwargs) -> None:
    _request.__dict__.pop("store", None)


def current() -> _Store | None:
    """The store for the shared version now; None when caching is off or the version unreadable."""
    if not enabled():
        return None
    memo = getattr(_request, "store", None)
    if memo is not None and memo is not _UNREAD:
        return memo
    store = _read()
    if memo is _UNREAD:
        _request.store = store
    return store


def version_read_pending() -> bool:
    """Whether this request is still to read the version: what is counted now goes with that read."""
    return enabled() and getattr(_request, "store", None) is _UNREAD


def lease_seconds() -> float:
    return settings.PATROL_FACTS_LEASE_SECONDS


def _read() -> _Store | None:
    """The store for the version now: the one this process trusts, while its lease lasts, or read anew."""
    global _store
    store = _store
    read_at = time.monotonic()  # before the read is sent: a lease never outlasts the version it was taken on
    if store is not None and read_at < store.trusted_until:
        return store
    passenger = _passenger
    sent, timeout = passenger.take()
    try:
        if sent:
            version, totals = get_and_add(caches["default"], VERSION_KEY, sent, timeout)
            passenger.settle(totals, read_at)
        else:
            version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, _new_version(), timeout=None)
            version = cache.get(VERSION_KEY)
    except Exception:
        passenger.give_back(sent)
        warn_cache_unreachable(
            logger, "Check facts cache: the shared version cannot be read; checks go to the database."
        )
        _store = None
        return None
    if version is None:
        return None
    if store is None or store.version != version:
        store = _store = _Store(version)
    store.trusted_until = read_at + lease_seconds()
    return store


class CachedSource(DatabaseSource):
    """The database source, answered from what this process holds under the current version where it can."""

    def __init__(self, store: _Store):
        self.store = store

    def decide(self, checks: list[CheckInput], *, now) -> list[Answer]:
        """A decision held for each check, or one made from held or loaded facts (and then held)."""
        store, keys = self.store, check_keys(checks)
        answers, undecided = [], []
        for index, (check, key) in enumerate(zip(checks, keys, strict=True)):
            held = store.decision(key, check, now) if key is not None else None
            answers.append(held)
            if held is None:
                undecided.append(index)
        if undecided:
            loads = self._facts([checks[i] for i in undecided], [keys[i] for i in undecided], now=now)
            for index, (facts, loaded) in zip(undecided, loads, strict=True):
                decision = decide(facts)
                answers[index] = (decision, loaded, facts.resource)
                if keys[index] is not None:
                    store.keep_decision(keys[index], checks[index], now, decision, loaded)
        return answers

    def _facts(self, checks: list[CheckInput], keys, *, now) -> list[tuple]:
        """(facts, loaded) for each check: held facts where there are some, loaded (and held) for the rest."""
        store, results, missed = self.store, [], []
        for index, (check, key) in enumerate(zip(checks, keys, strict=True)):
            held = store.get(key) if key is not None else None
            if held is None:
                missed.append(index)
                results.append(None)
            else:
                loaded, resource, relation = held
                results.append((facts_for(check, loaded, resource, relation, now=now), loaded))
        if missed:
            for index, (facts, loaded) in zip(missed, self.load([checks[i] for i in missed], now=now), strict=True):
                if keys[index] is not None:
                    if loaded is None:
                        store.put(keys[index], (loaded, facts.resource, facts.relation))
                    else:
                        store.put_check(keys[index], (loaded, facts.resource, facts.relation))
                        refresher.start()
                results[index] = (facts, loaded)
        return results

    def token(self, plaintext: str):
        if credentials.parse_kind(plaintext) is None:
            return super().token(plaintext)  # no query for a malformed token
        return self._remember(token_key(plaintext), super().token, plaintext)

    def api_client(self, digests: list[str]) -> AuthenticatedClient | None:
        return self._remember(("api-client", digests[0]), super().api_client, digests)

    def belongs(self, user_id: int, enterprise: str) -> bool:
        return self._remember(("belongs", user_id, enterprise), super().belongs, user_id, enterprise)

    def record_use(self, used: dict, *, now) -> None:
        usage.record(used, now=now)  # held facts carry a stale last use: tokens.engine.usage judges

    def _remember(self, key, load, *args):
        held = self.store.get(key)
        if held is not None:
            return held[0]
        value = load(*args)
        self.store.put(key, (value,))  # wrapped: None is a value worth holding (an unknown client)
        return value


_DATABASE = DatabaseSource()


def source() -> DatabaseSource:
    """The database, or this cache in front of it while the cache is on and its version readable."""
    store = current()
    return _DATABASE if store is None else CachedSource(store)


def forget() -> None:
    """Drop everything this process holds (the test suite does, between tests)."""
    global _store
    _store = None


def refresh_due(reload, *, limit: int) -> int:
    """Reload up to `limit` held check facts that are due, with `reload(keys)` (tokens.engine.facts_batch.reload_held).

    The version is read first and the facts loaded after, as on the request
    path: if a write bumped it meanwhile, these facts are stored under a
    version no check will use once its lease ends. How many were reloaded.
    """
    store = _store
    if store is None:
        return 0
    due = store.due(limit)
    if not due:
        return 0
    try:
        version = cache.get(VERSION_KEY)
    except Exception:
        return 0  # unreadable: they expire in time, and checks load them
    if version != store.version:
        return 0
    store.reloaded(due, reload([key for key, _ in due]))
    return len(due)


def bump() -> bool:
    """Give facts a new version: every process reloads once its lease ends. False if it could not."""
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
        return False
    return True


def _bump_committed() -> None:
    """The bump that matters: the change is committed, the version moves, and
    nothing goes on — no answer, no next statement — until every lease taken
    on the old version has ended."""
    if bump() and lease_seconds() > 0:
        _wait(lease_seconds())


def _wait(seconds: float) -> None:
    # This module's own name for time.sleep, so a test can watch its waits
    # alone: patching time.sleep catches every thread's (the last-use writer's too).
    time.sleep(seconds)


# A save naming only fields no loader reads cannot change a fact. Django stamps
# `last_login` on every sign-in, which must not make every process reload.
FIELDS_NO_FACT_READS = frozenset({"last_login"})


def facts_changed(sender=None, using=DEFAULT_DB_ALIAS, update_fields=None, **kwargs) -> None:
    """Signal receiver: a row that facts come from was written."""
    if not enabled() or (update_fields and update_fields <= FIELDS_NO_FACT_READS):
        return
    connection = connections[using]
    if not connection.in_atomic_block:
        _bump_committed()  # autocommit: the write is already committed
        return
    bump()
    # The bump that matters comes after commit; one per transaction is enough.
    # (`run_on_commit` holds (savepoints, callable, robust) for this transaction.)
    if not any(entry[1] is _bump_committed for entry in connection.run_on_commit):
        transaction.on_commit(_bump_committed, using=using)


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
            elif kind == CredentialType.SSH_KEY:
                credential_keys[asked] = (kind, check.ssh_key_fingerprint)
            else:
                credential_keys[asked] = (kind, credentials.candidate_digests(check.token)[0])
        credential = credential_keys[asked]
        keys.append(
            None
            if credential is None
            # The kind as a plain string: a key of strings only is left alone by
            # the garbage collector (CPython untracks such tuples), an enum is not.
            else (*credential, check.resource.text, str(resource_kind(check.resource, check.permission)))
        )
    return keys


def token_key(token: str) -> tuple:
    return "token", credentials.candidate_digests(token)[0]


def connect() -> None:
    """Bump on every write to a row the loaders read (tokens.engine.facts, tokens.engine.facts_batch,
    and the API clients of tokens.api.authentication)."""
    from django.contrib.auth import get_user_model

    from enterprises.models import Enterprise, EnterprisePermission
    from organizations.models import Membership, Organization, OrganizationPermission, Repository

    from ..models import (
        AccessRequest,
        ApiClient,
        ClassicToken,
        EnterpriseCredentialRevocation,
        FineGrainedToken,
        Grant,
        SSHKey,
    )

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
        EnterpriseCredentialRevocation,
        ApiClient,
    ):
        post_save.connect(facts_changed, sender=model, dispatch_uid=f"facts-cache-save-{model._meta.label}")
        post_delete.connect(facts_changed, sender=model, dispatch_uid=f"facts-cache-delete-{model._meta.label}")
    m2m_changed.connect(
        facts_changed, sender=FineGrainedToken.repositories.through, dispatch_uid="facts-cache-token-repositories"
    )
    request_started.connect(_request_started, dispatch_uid="facts-cache-request-started")
    request_finished.connect(_request_finished, dispatch_uid="facts-cache-request-finished")


refresher.serve(refresh_due)
