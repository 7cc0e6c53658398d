"""An API client's revoke and last use (issue 16, point 5).

A revoke is honoured by the next request in every process: a process keeps no
client of its own without the facts cache, and with it holds clients under the
shared version the revoke bumps. Without Redis, two independent local-memory
caches stand for two processes here; tests/deploy/test_client_revoke.py runs
two servers, with and without Redis.
"""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.factories import classic_token
from tokens import services
from tokens.engine import facts_cache, usage
from tokens.models import ApiClient

CHECK = "/api/v1/access/check"
ANOTHER_PROCESS = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "another"}}


@pytest.fixture
def token(cast):
    return classic_token(cast.alice, scopes=["repo"]).plaintext


def ask(api, token):
    return api.post(CHECK, {"token": token, "resource": "acme/web", "permission": "contents:read"}, format="json")


def test_without_the_facts_cache_a_revoke_made_in_another_process_is_honoured_by_the_next_request(api, token):
    assert ask(api, token).status_code == 200
    with override_settings(CACHES=ANOTHER_PROCESS):
        services.api_client_revoke(client=ApiClient.objects.get(name="gateway"))
    response = ask(api, token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_use_is_recorded(api, token):
    ask(api, token)
    assert ApiClient.objects.get(name="gateway").last_used_at is not None


def test_a_use_within_the_minute_of_the_last_is_not_written_again(api, token):
    recent = timezone.now() - timedelta(seconds=30)
    ApiClient.objects.filter(name="gateway").update(last_used_at=recent)
    ask(api, token)
    assert ApiClient.objects.get(name="gateway").last_used_at == recent


def test_a_use_a_minute_after_the_last_is_written(api, token):
    old = timezone.now() - timedelta(minutes=2)
    ApiClient.objects.filter(name="gateway").update(last_used_at=old)
    ask(api, token)
    assert ApiClient.objects.get(name="gateway").last_used_at > old


def test_with_the_facts_cache_on_a_use_is_recorded_once_a_minute_per_process(settings, api, token):
    settings.PATROL_FACTS_CACHE = True
    ask(api, token)
    first = ApiClient.objects.get(name="gateway").last_used_at
    ask(api, token)
    assert ApiClient.objects.get(name="gateway").last_used_at == first


def test_recording_a_use_does_not_bump_the_facts_version(settings, api, token):
    """A use is not a fact: writing it must not make every process reload."""
    settings.PATROL_FACTS_CACHE = True
    ask(api, token)
    version = facts_cache.cache.get(facts_cache.VERSION_KEY)
    ApiClient.objects.filter(name="gateway").update(last_used_at=None)
    facts_cache.forget()  # as if another process, which has not recorded this client's use
    usage.forget()
    ask(api, token)
    assert ApiClient.objects.get(name="gateway").last_used_at is not None
    assert facts_cache.cache.get(facts_cache.VERSION_KEY) == version
