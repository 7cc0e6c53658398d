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
import threading
import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from config.cache import count, warn_cache_unreachable
from config.client_ip import client_ip
from tokens.engine import facts_cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
COUNTER_SECONDS = WINDOW_SECONDS + 5


class _Counters:
    """Counters (the check API's rate limit) added to in this process between reads.

    Within a lease a process counts on its own and sends what it counted with
    its next version read, which brings back each counter's total over every
    process. A counter's value here is that total plus what this process has
    counted since; what other processes counted in the same lease arrives with
    their next read. One process counts exactly; several may together let
    through up to one lease's worth of requests more than a limit.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._known = {}  # key -> (total at the last read, when it was read)
        self._pending = {}  # key -> counted since the last read
        self._timeout = 0  # the longest any counter asked for: a new one lives that long

    def add(self, key: str, timeout: int) -> None:
        with self._lock:
            self._pending[key] = self._pending.get(key, 0) + 1
            self._timeout = max(self._timeout, timeout)

    def value(self, key: str) -> int:
        with self._lock:
            return self._known.get(key, (0, 0.0))[0] + self._pending.get(key, 0)

    def take(self) -> tuple[dict[str, int], int]:
        """What was counted since the last read, to send with the next, and the counters' timeout."""
        with self._lock:
            pending, self._pending = self._pending, {}
            return pending, self._timeout

    def give_back(self, sent: dict[str, int]) -> None:
        """The read failed: what it carried goes with the next one."""
        with self._lock:
            for key, amount in sent.items():
                self._pending[key] = self._pending.get(key, 0) + amount

    def settle(self, totals: dict[str, int], read_at: float) -> None:
        with self._lock:
            for key, total in totals.items():
                self._known[key] = (total, read_at)
            # A counter outlives its window by its timeout; after that nobody asks for it.
            for key in [key for key, (_, at) in self._known.items() if read_at - at > self._timeout]:
                del self._known[key]


# This process's counts, sent with each read of the facts version (tokens.engine.facts_cache).
counters = _Counters()
facts_cache.carry(counters)


def forget() -> None:
    """Drop this process's counts (the test suite does, between tests)."""
    global counters
    counters = _Counters()
    facts_cache.carry(counters)


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
            # With the facts cache on, counted in this process when the client was
            # authenticated, and sent with the version read (`_Counters`); else here.
            counted = getattr(request, "rate_counted", {}).get(key)
            if counted is None:
                counted = count(caches["default"], key, COUNTER_SECONDS)
            return counted <= rate
        except Exception:
            warn_cache_unreachable(logger, "Rate limit not enforced: the cache is unreachable.")
            return True

    def wait(self):
        return max(1, round(self.retry_after))


class ClientAddressRateThrottle(BaseThrottle):
    """An endpoint anyone may call without an account: a fixed one-hour window per client address.

    `rate_setting` names the setting with the requests an address may make an
    hour. Counted in the shared cache like the clients' limits (so per process
    without one), and not enforced while it is unreachable.
    """

    rate_setting = ""
    window_seconds = 3600

    def allow_request(self, request, view):
        now = time.time()
        window = int(now // self.window_seconds)
        self.retry_after = (window + 1) * self.window_seconds - now
        address = client_ip(request) or "unknown"
        key = f"patrol:throttle:{self.rate_setting}:{address}:{window}"
        try:
            return count(caches["default"], key, self.window_seconds + 5) <= getattr(settings, self.rate_setting)
        except Exception:
            warn_cache_unreachable(logger, "Rate limit not enforced: the cache is unreachable.")
            return True

    def wait(self):
        return max(1, round(self.retry_after))


class CredentialsRevokeRateThrottle(ClientAddressRateThrottle):
    rate_setting = "PATROL_CREDENTIALS_REVOKE_RATE_PER_HOUR"
