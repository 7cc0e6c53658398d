"""Token uses written beside the check (tokens/engine/usage.py): with the facts cache
on, a warm check makes no query at all, and a writer thread records its use."""

import time
import weakref
from unittest.mock import patch

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import fine_grained_token
from tokens.engine import usage
from tokens.engine.facts import load_token
from tokens.models import FineGrainedToken

from .helpers import check_token


@pytest.fixture(autouse=True)
def _written_beside_the_check(settings):
    settings.PATROL_FACTS_CACHE = True
    settings.PATROL_LAST_USE_FLUSH_SECONDS = 1
    yield
    usage.flush()


@pytest.fixture
def token(cast):
    return fine_grained_token(cast.alice, repository_access="all", permissions={"contents": "read"})


def test_a_checks_use_is_written_by_the_writer_not_in_the_check(token):
    with patch.object(usage, "_start_writer"), CaptureQueriesContext(connection) as cold:
        assert check_token(token.plaintext, "alice/dotfiles", "contents:read").allowed
    assert not [query for query in cold if query["sql"].startswith("UPDATE")]
    token.token.refresh_from_db()
    assert token.token.last_used_at is None

    assert usage.flush() == 1
    token.token.refresh_from_db()
    assert token.token.last_used_at is not None

    with patch.object(usage, "_start_writer"), CaptureQueriesContext(connection) as warm:
        assert check_token(token.plaintext, "alice/dotfiles", "contents:read").allowed
    assert len(warm) == 0
    assert usage.flush() == 0  # used again within the minute: nothing to write


def test_a_pending_use_keeps_nothing_of_the_tokens_facts_alive(token):
    loaded = load_token(token.plaintext)
    gone = weakref.ref(loaded)

    with patch.object(usage, "_start_writer"):
        usage.record({(FineGrainedToken, token.token.pk): loaded}, now=timezone.now())
    del loaded

    assert gone() is None
    assert usage.flush() == 1


def test_pending_uses_are_written_in_one_update_per_token_type(cast):
    tokens = [
        fine_grained_token(cast.alice, name=f"t{n}", repository_access="all", permissions={"contents": "read"})
        for n in range(3)
    ]
    with patch.object(usage, "_start_writer"):
        for issued in tokens:
            check_token(issued.plaintext, "alice/dotfiles", "contents:read")
    with CaptureQueriesContext(connection) as queries:
        assert usage.flush() == 3
    assert [query["sql"].split()[0] for query in queries] == ["UPDATE"]
    assert all(
        row.last_used_at is not None for row in FineGrainedToken.objects.filter(pk__in=[t.token.pk for t in tokens])
    )


@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_records_uses_on_its_own(cast, settings):
    settings.PATROL_LAST_USE_FLUSH_SECONDS = 0.1
    issued = fine_grained_token(cast.alice, repository_access="all", permissions={"contents": "read"})
    assert check_token(issued.plaintext, "alice/dotfiles", "contents:read").allowed
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        issued.token.refresh_from_db()
        if issued.token.last_used_at is not None:
            break
        time.sleep(0.05)
    assert issued.token.last_used_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_writer_keeps_its_connection_after_writing(token):
    # A new connection a second would have PostgreSQL start a backend process a
    # second per server process.
    with patch.object(usage, "_start_writer"):
        assert check_token(token.plaintext, "alice/dotfiles", "contents:read").allowed
    usage._write_round()
    token.token.refresh_from_db()
    assert token.token.last_used_at is not None
    assert connection.connection is not None


@pytest.mark.django_db(transaction=True)
def test_the_writer_gives_its_connection_back_when_it_has_nothing_to_write(token):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes an in-memory SQLite database: closing would lose it")
    with patch.object(usage, "_start_writer"):
        check_token(token.plaintext, "alice/dotfiles", "contents:read")
    usage._write_round()
    usage._write_round()
    assert connection.connection is None
