"""A revoked API client is refused by the next request on every server process,
with Redis (the facts cache on) and without it (each process's own local memory).

Two gunicorn processes warm up with the client; this process revokes it
through the service; the next request to either answers 401.
"""

import json
import os
import urllib.error
import urllib.request

import pytest
from django.db import connection

from tests.deploy.conftest import REDIS_URL
from tests.deploy.servers import LEASE_SECONDS, database_url, gunicorn_servers
from tests.factories import api_client, classic_token
from tokens import services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two processes need a shared PostgreSQL database"),
]


@pytest.fixture(scope="module", params=["without Redis", "with Redis"])
def servers(request, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        url = database_url()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": url, "DEBUG": "0"}
    for name in ("CACHE_URL", "REDIS_URL", "PATROL_FACTS_CACHE"):
        env.pop(name, None)
    if request.param == "with Redis":
        env.update(
            CACHE_URL=request.getfixturevalue("redis_url"),
            PATROL_FACTS_CACHE="1",
            PATROL_FACTS_LEASE_SECONDS=str(LEASE_SECONDS),
        )
    with gunicorn_servers(env) as addresses:
        yield request.param, addresses


@pytest.fixture
def shared_cache(servers, settings):
    """With Redis, this process's revoke bumps the version the servers read."""
    mode, _ = servers
    if mode == "with Redis":
        settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}}
        settings.PATROL_FACTS_CACHE = True
        settings.PATROL_FACTS_LEASE_SECONDS = LEASE_SECONDS


def status_of(server: str, secret: str, token: str) -> int:
    body = json.dumps({"token": token, "resource": "acme/web", "permission": "contents:read"}).encode()
    request = urllib.request.Request(
        f"{server}/api/v1/access/check",
        data=body,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_revoked_client_is_refused_by_the_next_request_on_every_process(servers, shared_cache, cast):
    _, addresses = servers
    issued = api_client("gateway")
    token = classic_token(cast.alice, scopes=["repo"]).plaintext
    for server in addresses:
        for _ in range(3):
            assert status_of(server, issued.plaintext, token) == 200
    services.api_client_revoke(client=issued.token)
    assert [status_of(server, issued.plaintext, token) for server in addresses] == [401, 401]
