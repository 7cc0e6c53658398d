"""The Redis cache as processes share it (config/cache.py): one client per pool,
counters in one round trip, and the rate limit across processes."""

import pytest
from rest_framework.test import APIClient

from config.cache import RedisCache, count, get_and_count
from tests.factories import fine_grained_token
from tokens import services


@pytest.fixture
def redis_cache(redis_url):
    return RedisCache(redis_url, {})


def test_one_client_serves_every_operation(redis_cache):
    assert redis_cache._cache.get_client(write=True) is redis_cache._cache.get_client()


def test_a_read_and_a_count_share_one_round_trip(redis_cache):
    redis_cache.set("version", "v1", None)
    assert get_and_count(redis_cache, "version", "pair-window", 65) == ("v1", 1)
    assert get_and_count(redis_cache, "version", "pair-window", 65) == ("v1", 2)
    assert 0 < redis_cache._cache.get_client().ttl(redis_cache.make_key("pair-window")) <= 65


def test_a_counter_counts_and_expires_with_its_window(redis_cache):
    assert [count(redis_cache, "window", 65) for _ in range(3)] == [1, 2, 3]
    client = redis_cache._cache.get_client()
    assert 0 < client.ttl(redis_cache.make_key("window")) <= 65


@pytest.mark.parametrize("facts_cache_on", [True, False], ids=["counted with the version", "counted alone"])
def test_the_rate_limit_holds_with_redis(settings, redis_url, cast, facts_cache_on):
    settings.PATROL_FACTS_CACHE = facts_cache_on
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url}}
    issued = fine_grained_token(cast.alice, permissions={"contents": "read"})
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {services.api_client_create(name='tiny', rate_per_minute=2).plaintext}")
    body = {"token": issued.plaintext, "resource": "alice/dotfiles", "permission": "contents:read"}
    statuses = [api.post("/api/v1/access/check", body, format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
