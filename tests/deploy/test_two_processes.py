"""Two stateless server processes on one PostgreSQL and one Redis (docs/deploy.md).

Each process holds the facts of the checks it answered (tokens/engine/facts_cache.py)
and trusts the version it read for a lease (here a second, the same in every
process, this one included). A policy Save, a revoke or a removed membership
made anywhere is honoured by the very next check on either process. Two
counter-proofs show what that rests on: a change that bypasses the services
(a bare UPDATE, no bump) is *not* seen by a warm process, and neither is a
bump whose writer does not wait out the lease.
"""

import json
import os
import urllib.request

import pytest
from django.db import connection

from organizations import services as organization_services
from organizations.models import Organization
from policies.services import organization_policy_update
from tests.deploy.servers import LEASE_SECONDS, database_url, gunicorn_servers
from tests.factories import fine_grained_token, grant_of
from tokens import services
from tokens.engine import facts_cache

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two processes need a shared PostgreSQL database"),
]

@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, redis_url):
    """Two gunicorn processes, one worker each, on the test database and Redis."""
    with django_db_blocker.unblock():
        url = database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "CACHE_URL": redis_url,
        "PATROL_FACTS_CACHE": "1",
        "PATROL_FACTS_LEASE_SECONDS": str(LEASE_SECONDS),
        "DEBUG": "0",
    }
    with gunicorn_servers(env) as addresses:
        yield addresses


@pytest.fixture
def shared_cache(settings, redis_url):
    """This process writes through the services and bumps the same shared version."""
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url}}
    settings.PATROL_FACTS_CACHE = True
    settings.PATROL_FACTS_LEASE_SECONDS = LEASE_SECONDS


@pytest.fixture
def world(cast, shared_cache):
    issued = fine_grained_token(
        cast.alice,
        resource_owner=cast.acme,
        repository_access="all",
        permissions={"contents": "read"},
        approved=True,
    )
    return cast, issued, services.api_client_create(name="gateway").plaintext


def ask(server: str, gateway: str, token: str) -> dict:
    body = json.dumps({"token": token, "resource": "acme/web", "permission": "contents:read"}).encode()
    request = urllib.request.Request(
        f"{server}/api/v1/access/check",
        data=body,
        headers={"Authorization": f"Bearer {gateway}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def warm_both(servers, gateway, token) -> None:
    for server in servers:
        for _ in range(3):
            assert ask(server, gateway, token)["allowed"]


def test_a_policy_save_is_honoured_by_the_next_check_on_the_other_process(servers, world):
    cast, issued, gateway = world
    warm_both(servers, gateway, issued.plaintext)
    organization_policy_update(organization=cast.acme, fine_grained_access="restrict")
    assert ask(servers[1], gateway, issued.plaintext)["reason"] == "fine_grained_restricted"
    assert ask(servers[0], gateway, issued.plaintext)["reason"] == "fine_grained_restricted"


def test_a_revoke_is_honoured_by_the_next_check_on_the_other_process(servers, world):
    cast, issued, gateway = world
    warm_both(servers, gateway, issued.plaintext)
    services.grant_revoke(grant=grant_of(issued.token), actor=cast.olga)
    assert ask(servers[1], gateway, issued.plaintext)["reason"] == "access_revoked"


def test_a_removed_membership_is_honoured_by_the_next_check_on_the_other_process(servers, world):
    cast, issued, gateway = world
    warm_both(servers, gateway, issued.plaintext)
    organization_services.membership_remove(organization=cast.acme, user=cast.alice, actor=cast.olga)
    assert not ask(servers[1], gateway, issued.plaintext)["allowed"]
    assert not ask(servers[0], gateway, issued.plaintext)["allowed"]


def test_warm_processes_answer_from_what_they_hold(servers, world):
    """The counter-proof: a write that skips the services bumps nothing, so warm
    processes keep their facts — the bump is what the guarantee rests on."""
    cast, issued, gateway = world
    warm_both(servers, gateway, issued.plaintext)
    Organization.objects.filter(pk=cast.acme.pk).update(fine_grained_access="restrict")
    assert ask(servers[1], gateway, issued.plaintext)["allowed"]


def test_a_bump_whose_writer_does_not_wait_is_not_seen_within_the_lease(servers, world):
    """The other counter-proof: the wait after the bump is what ends the other process's lease."""
    cast, issued, gateway = world
    warm_both(servers, gateway, issued.plaintext)
    Organization.objects.filter(pk=cast.acme.pk).update(fine_grained_access="restrict")
    facts_cache.bump()
    assert ask(servers[1], gateway, issued.plaintext)["allowed"]
