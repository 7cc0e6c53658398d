"""Per-client rate limit: a fixed one-minute window counted in the shared cache.

DRF's own throttles keep every request's timestamp, which does not scale to
thousands of checks a second; one counter per client and minute does.

While the cache is unreachable the limit is not enforced (with a warning a
minute): a limiter's outage must not stop access checks, which still decide
from the database.
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from config.cache import count, warn_cache_unreachable

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


class ApiClientRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        client = request.auth
        if client is None:
            return True  # unauthenticated requests are refused before this
        rate = client.rate_per_minute or settings.PATROL_API_CLIENT_RATE_PER_MINUTE
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        self.retry_after = (window + 1) * WINDOW_SECONDS - now
        try:
            # One cache round trip on every request (config.cache.count).
            return count(caches["default"], f"patrol:throttle:{client.id}:{window}", WINDOW_SECONDS + 5) <= rate
        except Exception:
            warn_cache_unreachable(logger, "Rate limit not enforced: the cache is unreachable.")
            return True

    def wait(self):
        return max(1, round(self.retry_after))
