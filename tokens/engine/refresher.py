"""Held parts of check facts reloaded before they expire, by a thread, in batches.

Each process drops a part (a credential, a resource) after at most `PATROL_FACTS_CACHE_SECONDS`
(tokens/engine/facts_cache.py), a safety net for a lost version bump. A gateway asks
about the same tokens and repositories all day, so without this the net would
cost a busy key a reload in some check every few minutes. Worse, the facts a
process loaded together (after a deploy, say) would all expire together, and
checks would queue behind thousands of reloads at once.

So a thread per process reloads the parts checks keep asking for, ahead of
their expiry: every `PATROL_FACTS_REFRESH_SECONDS` it takes those asked for
once due, a hundred at a time, and reloads them with the batch loaders' few
queries (tokens.engine.facts_batch.reload_held). Parts nobody asked for once
due are left to expire. Unchanged parts (a later `last_used_at` aside) keep
their objects and so their decisions; changed ones — a change whose bump was
lost — are decided again by the next check. With the setting at 0 there is no
thread, and parts simply expire.
"""

import logging
import time

from django.conf import settings
from django.db import close_old_connections, connections

from .background import ProcessThread
from .facts_batch import reload_held

logger = logging.getLogger(__name__)

BATCH = 100  # parts reloaded together: two queries on PostgreSQL (at most seven elsewhere), a few ms
# At most this many batches a round, so the thread never holds the CPU long: a
# worker keeps up to 400 parts a second fresh at the default 0.5 s,
# 50,000 (PATROL_FACTS_CACHE_ENTRIES) within their lifetime. Beyond that, facts
# expire as they would without the thread, and checks load them.
BATCHES_PER_ROUND = 2


# The held facts' owner hands over how to reload them (`facts_cache.refresh_due`), so this
# thread never imports the cache that starts it.
_refresh_due = None


def serve(refresh_due) -> None:
    """Reload, from now on, through `refresh_due(reload, limit=…)`: the facts cache's."""
    global _refresh_due
    _refresh_due = refresh_due


def start() -> None:
    """Start this process's refresher, unless it runs or is turned off."""
    if settings.PATROL_FACTS_REFRESH_SECONDS > 0:
        _thread.start()


def _refresh_forever() -> None:
    # Turned off, the thread ends; the next check that holds facts starts it again if it is back on.
    while settings.PATROL_FACTS_REFRESH_SECONDS > 0:
        time.sleep(settings.PATROL_FACTS_REFRESH_SECONDS)
        _round()


_thread = ProcessThread("patrol-facts-refresh", _refresh_forever)


def _round() -> None:
    """One round of the thread.

    Like the last-use writer (tokens/engine/usage.py), it keeps its database
    connection while it has work and gives it back after a round without any.
    """
    try:
        close_old_connections()
        if not refresh():
            connections.close_all()
    except Exception:
        logger.exception("Held check facts could not be reloaded; they expire, and checks load them.")
        connections.close_all()


def refresh() -> int:
    """Reload what is due, a batch at a time; how many parts were reloaded."""
    reloaded = 0
    for _ in range(BATCHES_PER_ROUND):
        count = _refresh_due(reload_held, limit=BATCH)
        reloaded += count
        if count < BATCH:
            break
    return reloaded
