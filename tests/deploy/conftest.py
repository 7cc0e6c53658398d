"""Redis for the deploy tests: the one given by PATROL_TEST_REDIS_URL, flushed first.

Without Redis these tests skip — unless PATROL_REQUIRE_REDIS is set, as in CI.
"""

import os

import pytest

REDIS_URL = os.environ.get("PATROL_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def redis_reachable() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def redis_url():
    if not redis_reachable():
        if os.environ.get("PATROL_REQUIRE_REDIS"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL
