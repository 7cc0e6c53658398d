"""When tokens were last used, and which unknown secrets were shown, written beside the check rather than in it.

A successful check notes its token's use (behaviour §4: `last_used_at`, at most one
write a minute per token; `record_use_many` makes the write
conditional). Written inside the request, that UPDATE is the most expensive
part of a warm check, which otherwise makes no query at all. So when the facts
cache is on, each process hands its uses to one writer thread. The thread
writes them every `PATROL_LAST_USE_FLUSH_SECONDS`, with one UPDATE per token
type for all of them.

The price:
- A use shows up to that long late, and is stamped with the latest time in its
  batch.
- If a process dies, the uses since its last write are lost.

`last_used_at` is informational and never part of a decision, so neither
matters. With the setting at 0, uses are written in the check as before.

The same thread reports the secrets checks did not know (by their digests,
never the plaintext) through `unknown_secrets_seen`: a secret a token was
rotated away from is a leak (behaviour §5.4), and tokens.services, which
listens, revokes its token. A check about an unknown token thus costs no
query more, and a reused secret is caught within a second.
"""

import atexit
import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import Q
from django.dispatch import Signal

from ..models import SSHKey
from . import credentials
from .background import ProcessThread

logger = logging.getLogger(__name__)

_lock = threading.Lock()
# (model, id) -> its last use as loaded. Only that: holding whole loaded
# credentials kept thousands of facts the cache had let go alive for a
# second, for the cycle collector to walk on every pass.
_pending: dict = {}
_pending_at = None  # the latest use among them
_unknown: set[str] = set()  # digests of secrets checks did not know, to report
UNKNOWN_LIMIT = 10_000  # a flood of made-up tokens waits here at most this many a round

# Sent with `digests`: every candidate digest of secrets that checks did not know.
unknown_secrets_seen = Signal()


# When this process last recorded each credential's use. Checks answered from
# held facts see the last use as it was loaded, so this is what keeps a token
# to one write a minute. Bounded like the facts cache.
_recorded: dict = {}


def _not_recorded_since(used: dict, *, now) -> dict:
    cutoff = now - timedelta(seconds=settings.PATROL_LAST_USED_RESOLUTION_SECONDS)
    fresh = {}
    for key, loaded in used.items():
        recorded = _recorded.get(key)
        if recorded is None or recorded <= cutoff:
            if len(_recorded) >= settings.PATROL_FACTS_CACHE_ENTRIES:
                _recorded.clear()
            _recorded[key] = now
            fresh[key] = loaded
    return fresh


def last_uses(used: dict) -> dict:
    """(model, id) -> its last use as loaded, of `used`: (model, id) -> anything with a `last_used_at`
    (tokens.engine.facts.LoadedCredential, tokens.engine.source.AuthenticatedClient)."""
    return {key: loaded.last_used_at for key, loaded in used.items()}


def record_use_many(last_used: dict, *, now) -> None:
    """Note that tokens or API clients were used: one UPDATE per model, only for
    rows not written within the last minute (behaviour §4), judged from when
    each was last used as loaded (`last_used`: (model, id) -> that moment or
    None), so a credential used again within the minute costs no query.
    """
    cutoff = now - timedelta(seconds=settings.PATROL_LAST_USED_RESOLUTION_SECONDS)
    stale = defaultdict(list)
    for (model, pk), last_used_at in last_used.items():
        if model is SSHKey:
            continue
        if last_used_at is None or last_used_at <= cutoff:
            stale[model].append(pk)
    # `.update()` sends no signal: a use is not a fact, and must not bump the facts version.
    for model, ids in stale.items():
        model.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff), pk__in=ids).update(
            last_used_at=now
        )


def forget() -> None:
    """Forget what this process recorded and has pending (the test suite does, between tests)."""
    global _pending, _pending_at
    with _lock:
        _recorded.clear()
        _unknown.clear()
        _pending, _pending_at = {}, None


def report_unknown(plaintexts) -> None:
    """Report now the secrets checks did not know (without the facts cache, checks answer from the database anyway)."""
    digests = {digest for plaintext in plaintexts for digest in credentials.candidate_digests(plaintext)}
    if digests:
        unknown_secrets_seen.send(sender=None, digests=sorted(digests))


def note_unknown(plaintexts) -> None:
    """Have the writer thread report the secrets checks did not know (now, with the setting at 0)."""
    if settings.PATROL_LAST_USE_FLUSH_SECONDS <= 0:
        report_unknown(plaintexts)
        return
    digests = {digest for plaintext in plaintexts for digest in credentials.candidate_digests(plaintext)}
    with _lock:
        if len(_unknown) < UNKNOWN_LIMIT:
            _unknown.update(digests)
    _start_writer()


def record(used: dict, *, now) -> None:
    """Note the uses of checks answered from held facts (tokens.engine.facts_cache): those this
    process has not recorded within the minute are written now, or by the writer thread."""
    used = _not_recorded_since(used, now=now)
    if not used:
        return
    if settings.PATROL_LAST_USE_FLUSH_SECONDS <= 0:
        record_use_many(last_uses(used), now=now)
        return
    global _pending_at
    with _lock:
        _pending.update(last_uses(used))
        _pending_at = now if _pending_at is None else max(_pending_at, now)
    _start_writer()


def flush() -> int:
    """Write the pending uses and report the unknown secrets now; how many tokens were written about."""
    global _pending, _pending_at
    with _lock:
        batch, when = _pending, _pending_at
        unknown = sorted(_unknown)
        _pending, _pending_at = {}, None
        _unknown.clear()
    if batch:
        record_use_many(batch, now=when)
    if unknown:
        unknown_secrets_seen.send(sender=None, digests=unknown)
    return len(batch)


def _start_writer() -> None:
    _writer.start()


def _write_forever() -> None:
    while True:
        time.sleep(max(settings.PATROL_LAST_USE_FLUSH_SECONDS, 0.1))
        _write_round()


_writer = ProcessThread("patrol-last-use", _write_forever)


def _write_round() -> None:
    """One round of the writer thread: write what is pending.

    The thread keeps its database connection while there are uses to write
    (within CONN_MAX_AGE, like a request thread): a new connection every
    second would have PostgreSQL start a backend process every second per
    server process. A round with nothing to write gives the connection back.
    """
    try:
        if not _pending and not _unknown:  # read without the lock: a use noted meanwhile waits a round
            connections.close_all()
            return
        close_old_connections()
        flush()
    except Exception:
        logger.exception("Token uses could not be recorded; they are dropped.")
        connections.close_all()


@atexit.register
def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # the database may be gone already at exit
        logger.warning("Token uses pending at exit could not be recorded.", exc_info=True)
