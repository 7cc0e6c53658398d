"""Per-client rate limit: a fixed one-minute window counted in the shared cache.

DRF's own throttles keep every request's timestamp, which does not scale to
thousands of checks a second; one counter per client and minute does. With
the facts cache on, each process adds up its own requests and sends them with
its next read of the facts version, once a lease: several processes together
may let through a lease's worth of requests over the limit.

While the cache is unreachable the limit is not enforced (with a warning a
minute): a limiter's outage must not stop access checks, which still decide
from the database. With the facts cache on, each process keeps counting on
its own meanwhile and enforces what it counted.
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from config.cache import count, warn_cache_unreachable
from tokens.engine import facts_cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
COUNTER_SECONDS = WINDOW_SECONDS + 5


def counter_key(client_key: str, window: int) -> str:
    return f"patrol:throttle:{client_key}:{window}"


def current_window() -> int:
    return int(time.time() // WINDOW_SECONDS)


class ApiClientRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        client = request.auth
        if client is None:
            return True  # unauthenticated requests are refused before this
        rate = client.rate_per_minute or settings.PATROL_API_CLIENT_RATE_PER_MINUTE
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        self.retry_after = (window + 1) * WINDOW_SECONDS - now
        key = counter_key(client.key, window)
        try:
            # With the facts cache on, counted in this process and sent with its
            # next version read (tokens/engine/facts_cache.py: _Counters); else here.
            counted = facts_cache.counted(key)
            if counted is None:
                counted = count(caches["default"], key, COUNTER_SECONDS)
            return counted <= rate
        except Exception:
            warn_cache_unreachable(logger, "Rate limit not enforced: the cache is unreachable.")
            return True

    def wait(self):
        return max(1, round(self.retry_after))
