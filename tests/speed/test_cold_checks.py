"""A cold check costs one query; a cache too small for the load is never slower than none (issue 17).

Facts are held by parts (tokens/engine/facts_cache.py): the credential with
its user's standing, and the resource. A check whose parts no process holds
loads both in one query; a batch, a fixed few; and a process holds tokens plus
resources, not their product.

Only reads are counted: a check that allows may also write its token's last
use, which the last-use writer thread does off the request in production
(tokens/engine/usage.py) and the test settings do inline.
"""

from contextlib import contextmanager
from unittest.mock import patch

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import RepositoryFactory, classic_token, fine_grained_token, fingerprint_for
from tokens import services
from tokens.engine import credentials, facts_cache
from tokens.engine.access import check_many

from ..tokens.engine.helpers import check_input, check_token, queries_for

CHECK = "/api/v1/access/check"
BATCH = "/api/v1/access/check-batch"


@pytest.fixture(autouse=True)
def _facts_cache_on(settings):
    settings.PATROL_FACTS_CACHE = True


@pytest.fixture
def world(cast):
    """Tokens of every kind, on many repositories, organizations, accounts and the enterprise."""
    for number in range(12):
        RepositoryFactory(owner_organization=cast.acme, name=f"service-{number}")
    tokens = [approved_token(cast) for _ in range(3)]
    tokens.append(fine_grained_token(cast.alice, permissions={"contents": "read"}).plaintext)
    for user in (cast.alice, cast.olga, cast.erin):
        tokens.append(classic_token(user, scopes=["repo", "read:org"]).plaintext)
    key = services.ssh_key_create(user=cast.alice, title="laptop", fingerprint=fingerprint_for("cold")).fingerprint
    resources = [f"acme/service-{number}" for number in range(12)] + ["acme/web", "acme/docs", "alice/dotfiles"]
    checks = []
    for index, resource in enumerate(resources):
        checks.append(check_input(resource, "contents:read", token=tokens[index % len(tokens)]))
        checks.append(check_input(resource, "contents:read", ssh_key_fingerprint=key))
    checks.append(check_input("acme", "members:read", token=tokens[0]))
    checks.append(check_input("alice", "profile:read", token=tokens[3]))
    checks.append(check_input("enterprise:bigcorp", "enterprise_administration:read", token=tokens[6]))
    return checks


def reads(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]


def reads_for(action):
    """What `action` returned, and how many reads it made."""
    with CaptureQueriesContext(connection) as queries:
        result = action()
    return result, len(reads(queries))


def approved_token(cast) -> str:
    return fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}, approved=True
    ).plaintext


def decisions(results):
    return [(result.decision.allowed, result.decision.reason) for result in results]


def test_a_check_about_a_held_token_and_a_held_repository_is_warm_though_never_asked_together(cast):
    first, second = approved_token(cast), approved_token(cast)
    check_token(first, "acme/web", "contents:read")
    check_token(second, "acme/handbook", "contents:read")

    decision, count = queries_for(lambda: check_token(first, "acme/handbook", "contents:read"))  # use recorded

    assert (decision.allowed, count) == (True, 0)


def test_a_held_token_asking_about_a_new_repository_loads_only_the_repository(cast):
    issued = fine_grained_token(cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}, approved=True)
    check_token(issued.plaintext, "acme/web", "contents:read")

    with CaptureQueriesContext(connection) as queries:
        check_token(issued.plaintext, "acme/docs", "contents:read")

    assert len(reads(queries)) == 1
    assert "tokens_finegrainedtoken" not in reads(queries)[0]


def test_a_new_token_asking_about_a_held_repository_loads_only_the_token(cast):
    issued = fine_grained_token(cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}, approved=True)
    check_token(classic_token(cast.olga, scopes=["repo"]).plaintext, "acme/web", "contents:read")

    with CaptureQueriesContext(connection) as queries:
        check_token(issued.plaintext, "acme/web", "contents:read")

    assert len(reads(queries)) == 1
    assert "organizations_repository" not in reads(queries)[0]


def test_a_cold_check_over_http_costs_one_query_once_its_client_is_held(api, cast):
    first, second = approved_token(cast), approved_token(cast)
    api.post(CHECK, {"token": first, "resource": "acme/web", "permission": "contents:read"}, format="json")
    facts_cache.forget_facts()  # every part forgotten; the client stays held

    with CaptureQueriesContext(connection) as queries:
        response = api.post(
            CHECK, {"token": second, "resource": "acme/handbook", "permission": "contents:read"}, format="json"
        )

    assert response.json()["allowed"]
    assert len(reads(queries)) == 1


@contextmanager
def statements_sent():
    """(cursor, statement) for every statement psycopg sends, whichever cursor sends it."""
    import psycopg

    sent, send = [], psycopg.Cursor.execute

    def execute(cursor, query, *args, **kwargs):
        sent.append((cursor, query))
        return send(cursor, query, *args, **kwargs)

    with patch.object(psycopg.Cursor, "execute", execute):
        yield sent


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept cursor is PostgreSQL's")
def test_a_cold_check_over_http_sends_one_statement_on_the_kept_cursor_when_nothing_counts_queries(api, cast):
    """What the other tests count through Django's cursor, counted at the driver (config/postgresql/base.py)."""
    first, second = approved_token(cast), approved_token(cast)
    api.post(CHECK, {"token": first, "resource": "acme/web", "permission": "contents:read"}, format="json")
    facts_cache.forget_facts()

    with statements_sent() as sent:
        response = api.post(
            CHECK, {"token": second, "resource": "acme/handbook", "permission": "contents:read"}, format="json"
        )

    selects = [(cursor, statement) for cursor, statement in sent if statement.startswith("SELECT")]
    assert response.json()["allowed"]
    assert len(selects) == 1
    cursor, statement = selects[0]
    assert "tokens_materializedcredential" in statement
    with connection.statement_cursor() as kept:
        assert cursor is kept


def test_a_cold_batch_costs_a_fixed_few_queries_whatever_its_size(world):
    counts = {}
    for size in (5, len(world)):
        facts_cache.forget_facts()
        _, counts[size] = reads_for(lambda size=size: check_many(world[:size]))

    assert counts[len(world)] <= 7  # one per credential type, one per resource kind
    assert counts[5] <= counts[len(world)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="facts are materialized on PostgreSQL only")
def test_on_postgresql_a_cold_batch_reads_its_credentials_in_one_query_and_its_resources_in_another(world):
    facts_cache.forget_facts()
    with CaptureQueriesContext(connection) as queries:
        check_many(world)  # fine-grained and classic tokens, an SSH key; repositories, an organization, …

    assert [("materializedcredential" in sql, "materializedresource" in sql) for sql in reads(queries)] == [
        (True, False),
        (False, True),
    ]


def test_a_cold_batch_without_the_cache_costs_the_same_few_queries(world, settings):
    settings.PATROL_FACTS_CACHE = False
    _, count = reads_for(lambda: check_many(world))
    assert count <= 7


@pytest.fixture
def hashed(monkeypatch) -> list:
    """The plaintexts hashed from now on, once per hashing."""
    seen = []
    digests = credentials.candidate_digests
    monkeypatch.setattr(credentials, "candidate_digests", lambda token: seen.append(token) or digests(token))
    return seen


@pytest.mark.parametrize("cached", [True, False])
def test_a_cold_batch_hashes_each_token_once(world, settings, hashed, cached):
    settings.PATROL_FACTS_CACHE = cached

    check_many(world)

    tokens = [check.token for check in world if check.token is not None]
    assert sorted(hashed) == sorted(set(tokens))


@pytest.mark.parametrize("cached", [True, False])
def test_a_cold_single_check_hashes_its_token_once(world, settings, hashed, cached):
    settings.PATROL_FACTS_CACHE = cached
    check = next(check for check in world if check.token is not None)

    check_many([check])

    assert hashed == [check.token]


def test_a_cache_too_small_for_the_load_never_costs_more_queries_than_no_cache(world, settings):
    """Each check alone, then the whole batch, with a cache of one part and with none:
    the same decisions, and never a query more."""

    def stream():
        singles = [reads_for(lambda check=check: check_many([check])) for check in world]
        batch = reads_for(lambda: check_many(world))
        return [decisions(results) for results, _ in [*singles, batch]], [count for _, count in [*singles, batch]]

    settings.PATROL_FACTS_CACHE = False
    uncached_decisions, uncached_counts = stream()
    settings.PATROL_FACTS_CACHE = True
    settings.PATROL_FACTS_CACHE_ENTRIES = 1
    facts_cache.forget()
    small_decisions, small_counts = stream()

    assert small_decisions == uncached_decisions
    assert all(small <= uncached for small, uncached in zip(small_counts, uncached_counts, strict=True))
    assert max(uncached_counts[:-1]) == 1  # a single check, without any cache: one query


def test_a_full_store_that_finds_almost_none_of_the_parts_asked_for_is_too_small(settings, monkeypatch):
    monkeypatch.setattr(facts_cache, "LOOKUPS_COUNTED", 100)
    settings.PATROL_FACTS_CACHE_ENTRIES = 2
    store = facts_cache._Store("version")

    store.count_lookups(100, 0)
    assert not store.too_small()  # not full yet: every miss is a first load

    store.put_all([("a", 1), ("b", 2)])
    store.count_lookups(60, 1)
    assert store.too_small()

    store.count_lookups(60, 20)  # the load fits after all: the sampled parts are found again
    assert not store.too_small()


def test_a_cache_too_small_for_the_load_holds_only_a_sample_of_the_parts_and_no_decisions(world, settings):
    """The same decisions as without a cache, for less work: what it would hold is pushed out unused."""
    settings.PATROL_FACTS_CACHE = False
    uncached = [decisions(check_many([check])) for check in world]
    settings.PATROL_FACTS_CACHE = True
    settings.PATROL_FACTS_CACHE_ENTRIES = 2
    facts_cache.forget()
    store = facts_cache.current()
    store.looked_up = facts_cache.LOOKUPS_COUNTED  # as after a long load of which it held nothing
    assert store.too_small()

    assert [decisions(check_many([check])) for check in world] == uncached
    assert not store.decisions
    assert all(hash(key) % facts_cache.SAMPLE == 0 for key in store.parts)


def test_a_cache_too_small_for_the_load_still_holds_its_sample_so_it_can_tell_when_the_load_fits(
    world, settings, monkeypatch
):
    monkeypatch.setattr(facts_cache, "SAMPLE", 1)  # every key in the sample
    settings.PATROL_FACTS_CACHE_ENTRIES = 2
    facts_cache.forget()
    store = facts_cache.current()
    store.looked_up = facts_cache.LOOKUPS_COUNTED

    check_many(world[:1])

    assert len(store.parts) == 2
    assert not store.decisions


def test_with_a_cache_of_one_part_each_cold_check_over_http_still_costs_one_query(api, world, settings):
    """API clients are held apart from the parts: no number of cold checks pushes the client out."""
    settings.PATROL_FACTS_CACHE_ENTRIES = 1
    bodies = [
        {"token": check.token, "resource": check.resource.text, "permission": f"{check.permission}:{check.level}"}
        for check in world
        if check.token is not None
    ]
    api.post(CHECK, bodies[0], format="json")
    counts = []
    for body in bodies[1:]:
        with CaptureQueriesContext(connection) as queries:
            assert api.post(CHECK, body, format="json").status_code == 200
        counts.append(len(reads(queries)))
        assert all("tokens_apiclient" not in read for read in reads(queries))
    assert set(counts) == {1}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="facts are materialized on PostgreSQL only")
@pytest.mark.parametrize("size", [1, "all"], ids=["single", "batch"])
def test_on_postgresql_a_cold_check_reads_only_the_materialized_facts(world, size):
    """One indexed row per part: no token, user, membership or repository table is read."""
    checks = world[:1] if size == 1 else world
    with CaptureQueriesContext(connection) as queries:
        check_many(checks)

    statements = " ".join(reads(queries))
    assert "tokens_materializedcredential" in statements
    assert "tokens_materializedresource" in statements
    for table in (
        "tokens_finegrainedtoken",
        "tokens_classictoken",
        "organizations_membership",
        "organizations_repository",
    ):
        assert f'"{table}"' not in statements
