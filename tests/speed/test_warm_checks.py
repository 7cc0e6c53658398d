"""The check API with the facts cache on (tokens/engine/facts_cache.py): a warm check
makes no query and reads the shared version once; a revoked client is refused
by the very next request."""

import gc
import io
import json
from unittest.mock import patch

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import fine_grained_token
from tokens import services
from tokens.engine import facts_cache
from tokens.models import ApiClient

CHECK = "/api/v1/access/check"
BATCH = "/api/v1/access/check-batch"


@pytest.fixture(autouse=True)
def _facts_cache_on(settings):
    settings.PATROL_FACTS_CACHE = True


@pytest.fixture
def approved(cast):
    return fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}, approved=True
    )


def body(token):
    return {"token": token, "resource": "acme/web", "permission": "contents:read"}


def test_a_warm_check_makes_no_query_and_reads_the_version_once(api, approved):
    api.post(CHECK, body(approved.plaintext), format="json")
    reads = []
    real_get = facts_cache.cache.get

    def counting_get(key, *args, **kwargs):
        reads.append(key)
        return real_get(key, *args, **kwargs)

    with CaptureQueriesContext(connection) as queries, patch.object(facts_cache.cache, "get", counting_get):
        response = api.post(CHECK, body(approved.plaintext), format="json")
    assert response.json()["allowed"]
    assert len(queries) == 0
    assert reads == [facts_cache.VERSION_KEY]


def test_a_revoked_client_is_refused_by_the_very_next_request(api, approved):
    assert api.post(CHECK, body(approved.plaintext), format="json").status_code == 200
    services.api_client_revoke(client=ApiClient.objects.get(name="gateway"))
    assert api.post(CHECK, body(approved.plaintext), format="json").status_code == 401


def test_a_warm_batch_leaves_its_checks_and_results_to_reference_counting(gateway, approved):
    """What a request leaves in reference cycles waits for the cycle collector,
    whose collections stall every request behind them. A batch's hundred checks
    and results must not be among it: before, a warm batch left ~470 objects
    there, now ~40 (Django's own request cycles)."""
    batch = json.dumps({"checks": [body(approved.plaintext)] * 100}).encode()
    # One handler, as a worker process keeps: built per request, its middleware chain is garbage too.
    handler = WSGIHandler()

    def post():  # as gunicorn calls Django: no test client, whose response keeps cycles of its own
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": BATCH,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(batch),
            "CONTENT_LENGTH": str(len(batch)),
            "CONTENT_TYPE": "application/json",
            "HTTP_AUTHORIZATION": f"Bearer {gateway}",
        }
        statuses = []
        # As Django's test client does: the test's connection stays open across the request.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = handler(environ, lambda status, headers: statuses.append(status))
            content = b"".join(response)
            response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        assert statuses == ["200 OK"] and content.count(b'"allowed":true') == 100

    post()
    gc.collect()
    gc.disable()
    try:
        post()
        left_to_the_collector = gc.collect()
    finally:
        gc.enable()
    assert left_to_the_collector < 100


def test_a_write_within_a_request_makes_the_request_read_the_version_again(db):
    request_started.send(sender=None)
    try:
        before = facts_cache.current()
        facts_cache.bump()
        after = facts_cache.current()
    finally:
        request_finished.send(sender=None)
    assert after is not None and after.version != before.version


@pytest.mark.parametrize("facts_cache_on", [True, False], ids=["facts cache on", "facts cache off"])
def test_with_redis_unreachable_checks_still_decide_from_the_database(api, approved, settings, facts_cache_on):
    settings.PATROL_FACTS_CACHE = facts_cache_on
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}}
    response = api.post(CHECK, body(approved.plaintext), format="json")
    assert response.status_code == 200
    assert response.json()["allowed"]


def test_with_redis_unreachable_each_process_still_enforces_what_it_counted(approved, settings):
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}}
    secret = services.api_client_create(name="tiny", rate_per_minute=2).plaintext
    tiny = APIClient()
    tiny.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    statuses = [tiny.post(CHECK, body(approved.plaintext), format="json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
