"""The Redis cache as processes share it (config/cache.py): one client per pool,
counters in one round trip, and the rate limit across processes."""

from unittest.mock import patch

import pytest
import redis
from rest_framework.test import APIClient

from config.cache import RedisCache, count, get_and_add
from tests.factories import fine_grained_token
from tokens import services
from tokens.engine import credentials, facts_cache


@pytest.fixture
def redis_cache(redis_url):
    return RedisCache(redis_url, {})


def test_one_client_serves_every_operation(redis_cache):
    assert redis_cache._cache.get_client(write=True) is redis_cache._cache.get_client()


def test_a_read_and_counts_share_one_round_trip(redis_cache):
    redis_cache.set("version", "v1", None)
    assert get_and_add(redis_cache, "version", {"pair-window": 1}, 65) == ("v1", {"pair-window": 1})
    assert get_and_add(redis_cache, "version", {"pair-window": 3, "other-window": 2}, 65) == (
        "v1",
        {"pair-window": 4, "other-window": 2},
    )
    client = redis_cache._cache.get_client()
    assert 0 < client.ttl(redis_cache.make_key("pair-window")) <= 65
    assert 0 < client.ttl(redis_cache.make_key("other-window")) <= 65


def test_a_counter_counts_and_expires_with_its_window(redis_cache):
    assert [count(redis_cache, "window", 65) for _ in range(3)] == [1, 2, 3]
    client = redis_cache._cache.get_client()
    assert 0 < client.ttl(redis_cache.make_key("window")) <= 65


@pytest.mark.parametrize(
    ("facts_cache_on", "lease_seconds"),
    [(True, 0), (True, 60), (False, 0)],
    ids=["counted with each version read", "counted here within a lease", "counted alone"],
)
def test_the_rate_limit_holds_with_redis(settings, redis_url, cast, facts_cache_on, lease_seconds):
    settings.PATROL_FACTS_CACHE = facts_cache_on
    settings.PATROL_FACTS_LEASE_SECONDS = lease_seconds
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url}}
    issued = fine_grained_token(cast.alice, permissions={"contents": "read"})
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {services.api_client_create(name='tiny', rate_per_minute=2).plaintext}")
    body = {"token": issued.plaintext, "resource": "alice/dotfiles", "permission": "contents:read"}
    statuses = [api.post("/api/v1/access/check", body, format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_within_a_lease_requests_are_counted_here_and_sent_with_the_next_read(settings, redis_url, cast):
    settings.PATROL_FACTS_CACHE = True
    settings.PATROL_FACTS_LEASE_SECONDS = 60
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url}}
    issued = fine_grained_token(cast.alice, permissions={"contents": "read"})
    api = APIClient()
    secret = services.api_client_create(name="gateway").plaintext
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {"token": issued.plaintext, "resource": "alice/dotfiles", "permission": "contents:read"}
    shared, client_key = redis.Redis.from_url(redis_url), credentials.candidate_digests(secret)[0][:24]

    def counted_in_redis():  # summed over windows: a minute may turn during the test
        return sum(int(shared.get(key)) for key in shared.scan_iter(f"*patrol:throttle:{client_key}:*"))

    facts_cache.forget()
    for _ in range(3):
        assert api.post("/api/v1/access/check", body, format="json").status_code == 200
    assert counted_in_redis() == 1  # sent with the one read; the other two are held here
    real = facts_cache.time.monotonic
    with patch.object(facts_cache.time, "monotonic", lambda: real() + 61):
        assert api.post("/api/v1/access/check", body, format="json").status_code == 200
    assert counted_in_redis() == 4
