"""Held parts that checks keep asking for are reloaded before they expire (tokens/engine/refresher.py).

A part asked for once it is due (two fifths to seven tenths of its lifetime)
joins the refresher's queue; one nobody asks for is left to expire.

The refresher's rounds run here in the test's thread; the settings turn its
thread off (tests/settings.py), and one test turns it on.
"""

import time
from unittest.mock import patch

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import RepositoryFactory, classic_token, fine_grained_token, grant_of
from tokens.choices import CredentialType
from tokens.engine import facts_cache, refresher
from tokens.engine.credentials import generate
from tokens.engine.facts_batch import reload_held
from tokens.models import FineGrainedToken

from .helpers import check_token, queries_for

# Parts are due from 0.4 to 0.7 of PATROL_FACTS_CACHE_SECONDS (300 s) and
# expire from 0.75 of it: at 220 s every one is due and none has expired.
DUE = 220
# Past every first lifetime: only a refreshed entry is still held.
EXPIRED = 301


@pytest.fixture(autouse=True)
def _facts_cache_on(settings):
    settings.PATROL_FACTS_CACHE = True
    settings.PATROL_FACTS_CACHE_SECONDS = 300


@pytest.fixture
def later():
    """Move the facts cache's clock on by some seconds (and only its clock)."""
    start = facts_cache._clock()

    def move_to(seconds):
        return patch.object(facts_cache, "_clock", lambda: start + seconds)

    return move_to


def approved_token(cast, **kwargs):
    return fine_grained_token(
        cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}, approved=True, **kwargs
    )


@pytest.fixture
def granted(cast):
    """alice's acme token, approved for contents:read on web and asked about: its two parts are held."""
    issued = approved_token(cast, repository_access="selected", repositories=[cast.web])
    assert check_token(issued.plaintext, "acme/web", "contents:read").allowed
    return issued


def held_keys(part):
    return [key for key in facts_cache.current().parts if key[0] == part]


def asked_once_due(granted):
    """The check asked again once its parts are due: both join the refresher's queue (and still answer)."""
    decision, count = queries_for(lambda: check_token(granted.plaintext, "acme/web", "contents:read"))
    assert (decision.allowed, count) == (True, 0)


def test_parts_asked_for_once_due_are_reloaded_before_they_expire(granted, later):
    with later(DUE):
        asked_once_due(granted)
        assert refresher.refresh() == 2  # the token and the repository
    with later(EXPIRED):
        decision, count = queries_for(lambda: check_token(granted.plaintext, "acme/web", "contents:read"))
    assert decision.allowed
    assert count == 0


def test_without_a_refresh_expired_parts_are_loaded_by_the_check(granted, later):
    with later(EXPIRED):
        _, count = queries_for(lambda: check_token(granted.plaintext, "acme/web", "contents:read"))
    assert count == 1


def test_nothing_is_reloaded_before_it_is_due(granted, later):
    with later(100):
        asked_once_due(granted)
        assert refresher.refresh() == 0


def test_parts_come_due_each_at_its_own_time(cast, later):
    issued = approved_token(cast, repository_access="all")
    for resource, draw in (("acme/web", max), ("acme/docs", min)):  # web due last, docs first
        with patch.object(facts_cache.random, "uniform", draw):
            check_token(issued.plaintext, resource, "contents:read")
    with later(0.5 * 300):
        check_token(issued.plaintext, "acme/web", "contents:read")
        check_token(issued.plaintext, "acme/docs", "contents:read")
        due = [key for key, _ in facts_cache.current().take_due(limit=100)]
    assert due == [("resource", "acme/docs", "repository")]


def test_parts_not_asked_for_once_due_are_left_to_expire(granted, later):
    with later(DUE):
        assert refresher.refresh() == 0


def test_an_evicted_part_is_no_longer_due(granted, cast, settings, later):
    with later(DUE):
        asked_once_due(granted)
    settings.PATROL_FACTS_CACHE_ENTRIES = 1
    check_token(granted.plaintext, "acme/docs", "contents:read")
    assert list(facts_cache.current().parts) == [("resource", "acme/docs", "repository")]
    assert facts_cache.current().due == {}


def test_unchanged_parts_stay_the_same_objects_so_their_decisions_hold(granted, later):
    [key] = held_keys("credential")
    before = facts_cache.current().get(key)
    # A later last use alone is no change: it decides nothing.
    FineGrainedToken.objects.filter(pk=granted.token.pk).update(last_used_at=timezone.now())
    with later(DUE):
        asked_once_due(granted)
        assert refresher.refresh() == 2
        assert facts_cache.current().get(key) is before
        _, count = queries_for(lambda: check_token(granted.plaintext, "acme/web", "contents:read"))
    assert count == 0


def test_a_change_whose_bump_was_lost_is_found_by_the_refresh(granted, later):
    # A queryset update sends no signal: the version stays, as if the bump were lost.
    type(grant_of(granted.token)).objects.filter(token=granted.token).update(revoked_at=timezone.now())
    with later(DUE):
        asked_once_due(granted)  # held, not yet reloaded
        refresher.refresh()
        decision, count = queries_for(lambda: check_token(granted.plaintext, "acme/web", "contents:read"))
    assert decision.reason == "access_revoked"
    assert count == 0


def test_a_credential_the_refresh_cannot_find_is_dropped_for_the_next_check_to_load(granted, later):
    """A key names a token by its digest under the current pepper; a token not found so is loaded by its plaintext."""
    FineGrainedToken.objects.filter(pk=granted.token.pk).update(digest="not-this-token")
    with later(DUE):
        asked_once_due(granted)
        refresher.refresh()
        decision, count = queries_for(lambda: check_token(granted.plaintext, "acme/web", "contents:read"))
    # The credential query, which finds no such token now, and whether it was rotated away
    # (asked in the check here, where PATROL_LAST_USE_FLUSH_SECONDS is 0; beside it in production).
    assert count == 2
    assert decision.reason == "credential_invalid"


def test_a_process_whose_version_was_bumped_elsewhere_reloads_nothing(granted, later):
    [key] = held_keys("credential")
    store = facts_cache.current()
    before = store.get(key)
    with later(DUE):
        asked_once_due(granted)
        cache.set(facts_cache.VERSION_KEY, "bumped-by-another-process")
        assert refresher.refresh() == 0
        assert store.get(key) is before


def test_a_refresh_costs_a_fixed_number_of_queries_whatever_its_size(cast, later):
    for number in range(30):
        RepositoryFactory(owner_organization=cast.acme, name=f"service-{number}")
    issued = approved_token(cast, repository_access="all")
    classic = classic_token(cast.alice, scopes=["repo"])

    def ask():
        for number in range(30):
            for plaintext in (issued.plaintext, classic.plaintext):
                check_token(plaintext, f"acme/service-{number}", "contents:read")

    ask()
    with later(DUE):
        ask()
        with CaptureQueriesContext(connection) as queries:
            assert refresher.refresh() == 32  # two tokens, thirty repositories
    # On PostgreSQL every token type's rows are read together; elsewhere each type's apart.
    assert len(queries) == (2 if connection.vendor == "postgresql" else 3)


def test_reloaded_facts_equal_what_a_check_loads(granted, cast):
    classic = classic_token(cast.alice, scopes=["repo", "read:org"])
    unknown = generate(CredentialType.FINE_GRAINED)  # well formed, never issued
    asked = [
        ("acme/web", "contents:read"),
        ("acme/docs", "contents:read"),
        ("acme", "members:read"),
        ("alice", "profile:read"),
        ("enterprise:bigcorp", "enterprise_administration:read"),
        ("acme/gone", "contents:read"),
    ]
    for _ in ("record the uses", "load the facts as they are now"):
        facts_cache.bump()
        for resource, permission in asked:
            for plaintext in (granted.plaintext, classic.plaintext, unknown):
                check_token(plaintext, resource, permission)
    store = facts_cache.current()
    keys = list(store.parts)
    assert len(keys) == 3 + len(asked)  # three credentials (one unknown), and each resource
    assert reload_held(keys) == {key: store.get(key) for key in keys}


def test_the_thread_is_not_started_when_turned_off(settings):
    settings.PATROL_FACTS_REFRESH_SECONDS = 0
    with patch("tokens.engine.background.threading.Thread") as thread:
        refresher.start()
    thread.assert_not_called()


@pytest.mark.django_db(transaction=True)
def test_the_thread_reloads_due_facts_on_its_own(cast, settings, later):
    settings.PATROL_FACTS_REFRESH_SECONDS = 0.05
    issued = fine_grained_token(cast.alice, repository_access="all", permissions={"contents": "read"})
    assert check_token(issued.plaintext, "alice/dotfiles", "contents:read").allowed
    [key] = held_keys("credential")
    store = facts_cache.current()

    def due_again_later():
        # The thread takes the due part off the queue, reloads it, and holds it
        # again, due later than now.
        return not store.due and store.parts[key][1] > facts_cache._clock()

    try:
        with later(DUE):
            assert check_token(issued.plaintext, "alice/dotfiles", "contents:read").allowed
            deadline = time.monotonic() + 10
            while not due_again_later() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert due_again_later()
    finally:
        settings.PATROL_FACTS_REFRESH_SECONDS = 0
        running = refresher._thread.thread
        if running is not None:
            running.join(timeout=5)
    assert store.get(key) is not facts_cache.MISSING
