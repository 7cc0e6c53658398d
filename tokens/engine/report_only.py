"""Report-only policies (behaviour §5.8): the checks a staged policy would answer otherwise, counted beside the check.

A resource whose organization or enterprise has a staged policy carries itself
as that policy would have it (`ResourceFacts.staged`; None almost always, so a
check costs one `is None` test more). `tokens.engine.access.check_many` decides
such a check again there, purely; where the answer (allowed or not) differs,
the flip is noted here. Like the last uses (tokens.engine.usage), flips are
written by a writer thread every `PATROL_LAST_USE_FLUSH_SECONDS`, or in the
check with the setting at 0: one row per staged policy, credential, resource,
permission and level, with when it was first and last seen and how often.
A flip noted for a policy enforced or discarded meanwhile is dropped.
"""

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connections, transaction

from policies.models import StagedPolicy, StagedPolicyFlip

from .background import ProcessThread
from .decision import Decision, ResourceFacts, decide
from .facts import CheckInput, LoadedCredential, facts_for

logger = logging.getLogger(__name__)

PENDING_LIMIT = 10_000  # distinct flips waiting for a round; new ones are dropped until it writes


@dataclass(slots=True)
class _Seen:
    holder_id: int
    allowed: bool
    would_be_reason: str
    first: datetime
    last: datetime
    count: int = 1


_lock = threading.Lock()
_pending: dict[tuple, _Seen] = {}
# Would-be decisions of held facts, as facts_cache holds decisions: a pure function of the parts (held here, so
# their ids stay theirs), the permission, the level, and whether the credential has expired. Bounded like the cache.
_decided: dict[tuple, tuple] = {}


def _would_be(check: CheckInput, loaded: LoadedCredential, resource: ResourceFacts, *, now) -> Decision:
    expires_at = loaded.facts.expires_at
    key = (id(loaded), id(resource), check.permission, check.level, expires_at is not None and now >= expires_at)
    held = _decided.get(key)
    if held is not None and held[0] is loaded and held[1] is resource:
        return held[2]
    decision = decide(facts_for(check, loaded, resource, now=now))
    if len(_decided) >= settings.PATROL_FACTS_CACHE_ENTRIES:
        _decided.clear()
    _decided[key] = (loaded, resource, decision)
    return decision


def would_be_flips(check: CheckInput, loaded: LoadedCredential, resource: ResourceFacts, decision: Decision, *, now):
    """(key, holder, allowed, would-be reason) for each staged policy on `resource` that would answer `check`
    otherwise; no query."""
    flips = []
    for staged in resource.staged:
        would_be = _would_be(check, loaded, staged.resource, now=now)
        if would_be.allowed != decision.allowed:
            credential = loaded.facts
            key = (staged.staged_id, credential.type, credential.id, resource.name, check.permission, check.level)
            flips.append((key, credential.user_id, decision.allowed, would_be.reason))
    return flips


def note(flips: list, *, now) -> None:
    """Have the flips written: now with the setting at 0, else by the writer thread."""
    if settings.PATROL_LAST_USE_FLUSH_SECONDS <= 0:
        write(_merge({}, flips, now))
        return
    with _lock:
        _merge(_pending, flips, now)
    _writer.start()


def _merge(into: dict, flips, now) -> dict:
    for key, holder_id, allowed, reason in flips:
        seen = into.get(key)
        if seen is not None:
            seen.last = max(seen.last, now)
            seen.count += 1
            seen.allowed, seen.would_be_reason = allowed, reason
        elif len(into) < PENDING_LIMIT:
            into[key] = _Seen(holder_id, allowed, reason, now, now)
    return into


UPSERT_ROWS = 500  # rows a statement, within SQLite's limit on parameters
COLUMNS = (
    "staged_id",
    "credential_type",
    "credential_id",
    "holder_id",
    "resource",
    "permission",
    "level",
    "allowed",
    "would_be_reason",
    "first_seen",
    "last_seen",
    "count",
)
KEY_COLUMNS = ("staged_id", "credential_type", "credential_id", "resource", "permission", "level")


def write(batch: dict) -> None:
    """Add the flips to their rows (created at their first sighting) while their policies are still staged:
    one INSERT … ON CONFLICT DO UPDATE per 500 rows, however many checks they count.

    The staged policies are locked first, as the services lock one before deleting it, so a policy
    enforced or discarded meanwhile is either there for the whole write or already gone.
    """
    with transaction.atomic():
        wanted = {key[0] for key in batch}
        staged = set(StagedPolicy.objects.select_for_update().filter(pk__in=wanted).values_list("pk", flat=True))
        rows = [(key, seen) for key, seen in batch.items() if key[0] in staged]
        for start in range(0, len(rows), UPSERT_ROWS):
            _upsert(rows[start : start + UPSERT_ROWS])


def _upsert(rows: list) -> None:
    connection = connections[StagedPolicyFlip.objects.db]
    quote, moment = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    table = quote(StagedPolicyFlip._meta.db_table)
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    params = []
    for (staged_id, credential_type, credential_id, resource, permission, level), seen in rows:
        params += [staged_id, str(credential_type), credential_id, seen.holder_id, resource, permission, level]
        params += [seen.allowed, seen.would_be_reason, moment(seen.first), moment(seen.last), seen.count]
    row = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    count, first, last = quote("count"), quote("first_seen"), quote("last_seen")
    # Only quoted names and placeholders are interpolated; values travel as parameters.
    sql = (
        f"INSERT INTO {table} ({', '.join(map(quote, COLUMNS))}) VALUES {', '.join([row] * len(rows))}"  # noqa: S608  # nosec B608
        f" ON CONFLICT ({', '.join(map(quote, KEY_COLUMNS))}) DO UPDATE SET"
        f" {count} = {table}.{count} + excluded.{count},"
        f" {first} = {least}({table}.{first}, excluded.{first}),"
        f" {last} = {greatest}({table}.{last}, excluded.{last}),"
        f" {quote('allowed')} = excluded.{quote('allowed')},"
        f" {quote('would_be_reason')} = excluded.{quote('would_be_reason')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def flush() -> int:
    """Write the pending flips now; how many rows were written about."""
    global _pending
    with _lock:
        batch, _pending = _pending, {}
    if batch:
        write(batch)
    return len(batch)


def forget() -> None:
    """Drop the pending flips and the would-be decisions held (the test suite does, between tests)."""
    global _pending
    with _lock:
        _pending = {}
    _decided.clear()


def _write_forever() -> None:
    while True:
        time.sleep(max(settings.PATROL_LAST_USE_FLUSH_SECONDS, 0.1))
        try:
            if not _pending:  # read without the lock: a flip noted meanwhile waits a round
                connections.close_all()
                continue
            close_old_connections()
            flush()
        except Exception:
            logger.exception("Report-only flips could not be recorded; they are dropped.")
            connections.close_all()


_writer = ProcessThread("patrol-report-only", _write_forever)


@atexit.register
def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # the database may be gone already at exit
        logger.warning("Report-only flips pending at exit could not be recorded.", exc_info=True)
