"""Check facts kept in each process, never stale (issue 5: caching that is never stale).

A check's facts come in two parts (tokens.engine.facts): the credential, with
its grant, latest request and its user's standing, and the resource. A
gateway asks about the same tokens and repositories over and over, so each
process keeps the parts it loaded, each under its own key, and decides the
next check from them without a query. Held by parts, a process holds tokens
plus repositories, not their product: a check about a known token and a known
repository is warm even if that pair was never asked about. Decisions are kept
too, each valid while the very parts it was made from are held.

`CachedSource` wraps the database source (tokens.engine.source) the way
Django's `cached_db` session store wraps the db store, and `source()` picks
one of the two for each request: nothing outside this module holds facts,
reads the version or starts its threads. It loads only the parts it misses,
through the same loaders, so a cache too small for the load costs no more
queries than no cache at all, and once it sees it is too small it holds only
a sample of what it loads, so it costs no more work either (`TOO_FEW`).

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
facts back. A process also drops each part it holds after at most
`PATROL_FACTS_CACHE_SECONDS`, which bounds what could go wrong if a process
died between its commit and its bump, or if Redis was unreachable for the
bump; a thread reloads the parts checks keep asking for before then
(tokens/engine/refresher.py). While the version cannot be read, checks go to
the database. API clients are held under the same version, apart from the
parts, so no number of cold checks pushes the client out.

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
from collections import OrderedDict
from dataclasses import replace

from django.conf import settings
from django.core.cache import cache, caches
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from config.cache import get_and_add, warn_cache_unreachable

from . import credentials, refresher, usage
from .facts import PERSONAL_TOKEN_TYPES, CheckInput, LoadedCredential, check_keys, credential_key
from .facts_batch import load_parts
from .source import Answer, AuthenticatedClient, DatabaseSource, answer, unknown_tokens

logger = logging.getLogger(__name__)

VERSION_KEY = "patrol:facts-version"

# What held facts are timed by; the module's own name, so a test can move it
# on for the store alone (as `_wait` below, not time itself for every thread).
_clock = time.monotonic


def enabled() -> bool:
    return settings.PATROL_FACTS_CACHE


def _new_version() -> str:
    return secrets.token_hex(12)


MISSING = object()  # not held (a part held as None is an unknown credential)
NEVER = float("inf")

# A store too small for the load holds each part only until parts loaded after
# it push it out, before any check asks for it again: timing, ordering and
# evicting it, and the decisions made from it, are paid for nothing, and a
# cold batch then costs more than with no cache. So a full store counts the
# parts checks look up and how many it holds; while it holds fewer than
# TOO_FEW of them it is too small, and holds only the loaded parts whose key
# hashes into one SAMPLE-th of the keys, and no decisions. If the load turns
# out to fit after all, those parts are found again, the share found rises and
# the store holds everything once more.
LOOKUPS_COUNTED = 2_000  # the counts are halved past this: they follow the recent load
TOO_FEW = 1 / 32
SAMPLE = 16


class _Store:
    """What one process holds under one version.

    Each part lives at most `PATROL_FACTS_CACHE_SECONDS` (three quarters of
    it to all of it, at random, so a process never reloads everything at
    once). A part a check asks for after two fifths to seven tenths of that
    is due: the refresher thread reloads it, off the request path, so a busy
    part never costs a check a query just because its time was up. At most
    `PATROL_FACTS_CACHE_ENTRIES` parts are held; the oldest goes first.
    """

    def __init__(self, version: str):
        self.version = version
        self.trusted_until = 0.0  # the end of this process's lease on the version (above)
        self.parts = OrderedDict()  # key -> [expires at, due at, value]
        # (credential key, resource key, permission, level) -> (credential, resource, decision, expired)
        self.decisions = OrderedDict()
        self.due = {}  # keys asked for once due, oldest first: the refresher's queue
        self.clients = {}  # API clients and enterprise membership, apart from the parts
        # Parts checks looked up while the store was full, and those it held: advisory, unlocked
        # (a count lost between threads only moves the judgement a little).
        self.looked_up = self.found = 0
        self._lock = threading.Lock()  # the refresher thread writes here too

    def get(self, key):
        """The held value, or MISSING; a part asked for once due joins the refresher's queue."""
        held = self.parts.get(key)
        if held is None:
            return MISSING
        now = _clock()
        if held[0] < now:
            return MISSING
        if held[1] <= now:
            held[1] = NEVER  # queued once
            with self._lock:  # the refresher takes from the queue meanwhile
                self.due[key] = None
        return held[2]

    def held(self, keys) -> dict:
        """{key: value} for each of `keys` held."""
        found = {}
        for key in keys:
            value = self.get(key)
            if value is not MISSING:
                found[key] = value
        return found

    def count_lookups(self, looked_up: int, found: int) -> None:
        """Count `looked_up` parts asked for by checks, `found` of them held (only while the store is full)."""
        if len(self.parts) < settings.PATROL_FACTS_CACHE_ENTRIES:
            return
        self.looked_up += looked_up
        self.found += found
        if self.looked_up > LOOKUPS_COUNTED:
            self.looked_up //= 2
            self.found //= 2

    def too_small(self) -> bool:
        """Whether the store, full, holds almost none of the parts checks ask for (above)."""
        return self.looked_up >= LOOKUPS_COUNTED // 2 and self.found < self.looked_up * TOO_FEW

    def put(self, key, value) -> None:
        """Hold `value`; a credential found (not None) or a resource is reloaded if asked for once due."""
        self.put_all([(key, value)])

    def put_all(self, items) -> None:
        """`put` each (key, value) of `items`, in order: a batch's parts reading the settings and the clock once."""
        ttl, limit = settings.PATROL_FACTS_CACHE_SECONDS, settings.PATROL_FACTS_CACHE_ENTRIES
        now = _clock()
        parts = self.parts
        with self._lock:
            for key, value in items:
                expires = now + ttl * random.uniform(0.75, 1.0)  # noqa: S311  # nosec B311
                due = NEVER if value is None else now + ttl * random.uniform(0.4, 0.7)  # noqa: S311  # nosec B311
                parts[key] = [expires, due, value]
                parts.move_to_end(key)
                while len(parts) > limit:
                    evicted, _ = parts.popitem(last=False)
                    self.due.pop(evicted, None)

    # A decision is a pure function of the facts and of `now`, and `now` only
    # matters against the credential's expiry (gate 3): a decision made before
    # the expiry holds until it, one made after holds from then on. It holds
    # while the very parts it was made from are held.

    def decision(self, keys, check, now):
        """The (decision, credential, resource) held for this check at `now`, or None."""
        held = self.decisions.get((*keys, check.permission, check.level))
        if held is None:
            return None
        loaded, resource, decision, expired = held
        credential_key, resource_key = keys
        if self.get(credential_key) is not loaded or self.get(resource_key) is not resource:
            return None
        if _expired(loaded, now) != expired:
            return None
        return decision, loaded, resource

    def keep_decisions(self, decided, now) -> None:
        """Hold each (keys, check, answer) of `decided`, in order."""
        decisions, limit = self.decisions, settings.PATROL_FACTS_CACHE_ENTRIES  # only request threads write here
        for keys, check, (decision, loaded, resource) in decided:
            if loaded is None:
                continue  # an unknown credential is decided from its held None at once
            decisions[(*keys, check.permission, check.level)] = (loaded, resource, decision, _expired(loaded, now))
            if len(decisions) > limit:
                decisions.popitem(last=False)

    def take_due(self, limit: int) -> list[tuple]:
        """Up to `limit` (key, value) due to be reloaded and still held."""
        taken = []
        with self._lock:
            while self.due and len(taken) < limit:
                key = next(iter(self.due))
                del self.due[key]
                held = self.parts.get(key)
                if held is not None:
                    taken.append((key, held[2]))
        return taken

    def reloaded(self, due: list[tuple], fresh: dict) -> None:
        """Hold what the `due` parts reloaded as, unless a check replaced them meanwhile.

        Unchanged parts stay the same object, so the decisions made from them
        still hold; a credential no longer found is dropped, for its next check
        to load from the plaintext.
        """
        for key, value in due:
            held = self.parts.get(key)
            if held is None or held[2] is not value:
                continue
            reloaded = fresh.get(key)
            if reloaded is None:
                with self._lock:
                    self.parts.pop(key, None)
            else:
                self.put(key, value if _same_facts(reloaded, value) else reloaded)

    def remember(self, key, load, *args):
        """An API client or a membership, held apart from the parts."""
        held = self.clients.get(key, MISSING)
        if held is MISSING:
            held = load(*args)
            if len(self.clients) >= settings.PATROL_FACTS_CACHE_ENTRIES:
                self.clients.clear()
            self.clients[key] = held
        return held


def _same_facts(reloaded, held) -> bool:
    """Whether a reloaded part says what the held one does.

    A credential's last use is left out: it moves every minute a token is
    used, and it decides nothing (tokens.engine.usage keeps its writes to one a
    minute on its own). Keeping the held objects keeps their decisions, and
    creates nothing new for the garbage collector to walk.
    """
    if isinstance(held, LoadedCredential):
        return replace(reloaded, last_used_at=held.last_used_at) == held
    return reloaded == held


def _expired(loaded, now) -> bool:
    expires_at = loaded.facts.expires_at
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
        """A decision held for each check, or one made from held or loaded parts (then held)."""
        stored_under = {}  # each token hashed once, for this batch only
        store, keys = self.store, check_keys(checks, stored_under)
        answers, undecided = [], []
        for index, (check, key) in enumerate(zip(checks, keys, strict=True)):
            held = store.decision(key, check, now) if key[0] is not None else None
            answers.append(held)
            if held is None:
                undecided.append(index)
        if not undecided:
            return answers
        checks_left, keys_left = [checks[i] for i in undecided], [keys[i] for i in undecided]
        credential_keys = {credential for credential, _ in keys_left if credential is not None}
        resource_keys = {resource for _, resource in keys_left}
        credentials, resources = store.held(credential_keys), store.held(resource_keys)
        store.count_lookups(len(credential_keys) + len(resource_keys), len(credentials) + len(resources))
        too_small = store.too_small()
        new_credentials, new_resources = load_parts(checks_left, keys_left, credentials, resources, stored_under)
        self.record_unknown(unknown_tokens(checks_left, keys_left, new_credentials))
        if new_credentials or new_resources:
            loaded = [*new_credentials.items(), *new_resources.items()]
            store.put_all([item for item in loaded if hash(item[0]) % SAMPLE == 0] if too_small else loaded)
            credentials.update(new_credentials)
            resources.update(new_resources)
            refresher.start()
        decided = []
        for index, check, key in zip(undecided, checks_left, keys_left, strict=True):
            answers[index] = answer(check, key, credentials, resources, now=now)
            if key[0] is not None:
                decided.append((key, check, answers[index]))
        if not too_small:
            store.keep_decisions(decided, now)
        return answers

    def token(self, plaintext: str):
        kind = credentials.parse_kind(plaintext)
        if kind not in PERSONAL_TOKEN_TYPES:
            return super().token(plaintext)  # no query for a malformed token
        key = credential_key(kind, plaintext)
        held = self.store.get(key)
        if held is MISSING:
            held = super().token(plaintext)
            self.store.put(key, held)
        return held

    def api_client(self, digests: list[str]) -> AuthenticatedClient | None:
        return self.store.remember(("api-client", digests[0]), super().api_client, digests)

    def belongs(self, user_id: int, enterprise: str) -> bool:
        return self.store.remember(("belongs", user_id, enterprise), super().belongs, user_id, enterprise)

    def record_use(self, used: dict, *, now) -> None:
        usage.record(used, now=now)  # held facts carry a stale last use: tokens.engine.usage judges

    def record_unknown(self, plaintexts: list[str]) -> None:
        if plaintexts:
            usage.note_unknown(plaintexts)  # off the request path, like the uses


_DATABASE = DatabaseSource()


def source() -> DatabaseSource:
    """The database, or this cache in front of it while the cache is on and its version readable."""
    store = current()
    return _DATABASE if store is None else CachedSource(store)


def forget() -> None:
    """Drop everything this process holds (the test suite does, between tests)."""
    global _store
    _store = None


def forget_facts() -> None:
    """Drop the parts and decisions this process holds, keeping its API clients (the benchmark's cold probe)."""
    store = _store
    if store is not None:
        with store._lock:
            store.parts.clear()
            store.decisions.clear()
            store.due.clear()


def refresh_due(reload, *, limit: int) -> int:
    """Reload up to `limit` held parts that are due, with `reload(keys)` (tokens.engine.facts_batch.reload_held).

    The version is read first and the parts loaded after, as on the request
    path: if a write bumped it meanwhile, these parts are held under a version
    no check will use once its lease ends. How many were reloaded.
    """
    store = _store
    if store is None:
        return 0
    due = store.take_due(limit)
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


def connect() -> None:
    """Bump on every write to a row the loaders read (tokens.engine.facts, tokens.engine.facts_batch,
    and the API clients of tokens.api.authentication)."""
    from django.contrib.auth import get_user_model

    from enterprises.models import Enterprise, EnterprisePermission
    from organizations.models import Membership, Organization, OrganizationPermission, Repository
    from policies.models import StagedPolicy

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
        StagedPolicy,
    ):
        post_save.connect(facts_changed, sender=model, dispatch_uid=f"facts-cache-save-{model._meta.label}")
        post_delete.connect(facts_changed, sender=model, dispatch_uid=f"facts-cache-delete-{model._meta.label}")
    m2m_changed.connect(
        facts_changed, sender=FineGrainedToken.repositories.through, dispatch_uid="facts-cache-token-repositories"
    )
    request_started.connect(_request_started, dispatch_uid="facts-cache-request-started")
    request_finished.connect(_request_finished, dispatch_uid="facts-cache-request-finished")


refresher.serve(refresh_due)
