"""Django's Redis cache, keeping one client object per connection pool.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every
cache operation. Building one costs more than the round trip to Redis, and the
access check makes a cache operation or two per request (tokens/engine/facts_cache.py,
tokens/api/throttling.py). A client holds no connection of its own — it borrows
from the pool, which is thread-safe and reconnects after a fork — so one per
pool serves every thread.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        if index not in self._clients:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            self._clients[index] = self._client(connection_pool=self._pools[index])
        return self._clients[index]


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count(self, key: str, timeout: int, amount: int = 1) -> int:
        """Add `amount` to the counter at `key`, one round trip (Django's `incr` costs two).

        A new counter gets `timeout`; were that second command lost, the key
        names a window that never comes back, so nothing would count wrong.
        """
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        value = client.incr(key, amount)
        if value == amount:
            client.expire(key, timeout)
        return value

    def get_and_add(self, key: str, counters: dict[str, int], timeout: int):
        """`get(key)` and, for each counter, add its amount — all in one round trip.

        Every command goes out in one write on a pooled connection and every
        reply is read back: the cost of a single GET. (redis-py's pipeline
        object and a Lua script each cost measurably more per call.) Returns
        the value and each counter's new total; a counter the write created
        gets `timeout`.
        """
        key = self.make_and_validate_key(key)
        names = {counter: self.make_and_validate_key(counter) for counter in counters}
        client = self._cache.get_client(key, write=True)
        pool = client.connection_pool
        connection = pool.get_connection()
        try:
            commands = [("GET", key), *(("INCRBY", names[counter], amount) for counter, amount in counters.items())]
            connection.send_packed_command(connection.pack_commands(commands))
            value = connection.read_response()
            totals = {counter: connection.read_response() for counter in counters}
        except BaseException:
            connection.disconnect()  # a half-read reply must not go back to the pool
            raise
        finally:
            pool.release(connection)
        for counter, total in totals.items():
            if total == counters[counter]:
                client.expire(names[counter], timeout)
        return (None if value is None else self._cache._serializer.loads(value)), totals


def get_and_add(cache, key: str, counters: dict[str, int], timeout: int):
    """`cache.get(key)` and each counter added to (made with `timeout` when new), in
    one round trip where the backend allows; the value and the counters' new totals."""
    if isinstance(cache, RedisCache):
        return cache.get_and_add(key, counters, timeout)
    return cache.get(key), {counter: count(cache, counter, timeout, amount) for counter, amount in counters.items()}


def count(cache, key: str, timeout: int, amount: int = 1) -> int:
    """Add `amount` to the counter at `key` in `cache` (made with `timeout` when new); the new value."""
    if isinstance(cache, RedisCache):
        return cache.count(key, timeout, amount)
    try:
        return cache.incr(key, amount)
    except ValueError:  # a new counter (or an evicted one)
        cache.add(key, 0, timeout)
        return cache.incr(key, amount)


_last_outage_warning = {}


def warn_cache_unreachable(logger: logging.Logger, message: str) -> None:
    """Log `message` with the exception, at most once a minute per logger: an
    unreachable cache must not flood the log on every request."""
    now = time.monotonic()
    if now - _last_outage_warning.get(logger.name, -60.0) >= 60:
        _last_outage_warning[logger.name] = now
        logger.warning(message, exc_info=True)
