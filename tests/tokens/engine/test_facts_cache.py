"""Check facts held per process are never stale (tokens/engine/facts_cache.py, issue 5 §3).

A warm check makes no query; any write to a row the facts come from is
honoured by the very next check. The two-process proof over HTTP is in
tests/deploy/test_two_processes.py.
"""

from datetime import timedelta
from unittest.mock import patch

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from organizations import services as organization_services
from tests.factories import RepositoryFactory, classic_token, fine_grained_token, grant_of, pending_request
from tests.outages import database_unreachable
from tokens import services
from tokens.engine import facts_cache
from tokens.engine.access import check_many, introspect
from tokens.engine.facts import parse_resource
from tokens.models import FineGrainedToken

from .helpers import check_input, check_token, queries_for, set_enterprise_policy, set_organization_policy


@pytest.fixture(autouse=True)
def _facts_cache_on(settings):
    settings.PATROL_FACTS_CACHE = True


@pytest.fixture
def approved(cast):
    """alice's acme token, approved for contents:read on web; used once, so its facts are held."""
    issued = fine_grained_token(
        cast.alice,
        resource_owner=cast.acme,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "read"},
        approved=True,
    )
    assert check_token(issued.plaintext, "acme/web", "contents:read").allowed
    return issued


def test_a_warm_check_makes_no_query(approved):
    decision, count = queries_for(lambda: check_token(approved.plaintext, "acme/web", "contents:read"))
    assert decision.allowed
    assert count == 0


def test_a_cold_check_costs_the_loaders_one_query(approved):
    facts_cache.bump()
    decision, count = queries_for(lambda: check_token(approved.plaintext, "acme/web", "contents:read"))
    assert decision.allowed
    assert count == 1


def test_a_warm_batch_makes_no_query_and_loads_only_what_it_misses(approved, cast):
    checks = [check_input("acme/web", "contents:read", token=approved.plaintext)] * 3
    check_many(checks)
    results, count = queries_for(lambda: check_many(checks))
    assert [result.decision.allowed for result in results] == [True] * 3
    assert count == 0
    results, count = queries_for(
        lambda: check_many([*checks, check_input("acme/docs", "contents:read", token=approved.plaintext)])
    )
    assert [result.decision.reason for result in results][-1] == "public_read"
    assert count == 1  # the token is held: only the new repository is loaded


def test_a_gateway_cycling_through_ten_thousand_repositories_parses_each_name_once():
    """Names are remembered in a least-recently-used cache; one smaller than the
    names asked in turn would miss on every one of them."""
    names = [f"org{n % 100}/repository-{n}" for n in range(10_000)]
    parse_resource.cache_clear()
    for name in names * 2:
        parse_resource(name)
    assert parse_resource.cache_info().misses == len(names)


def test_a_warm_introspection_makes_no_query(approved):
    introspect(approved.plaintext, now=timezone.now())
    payload, count = queries_for(lambda: introspect(approved.plaintext, now=timezone.now()))
    assert payload["active"]
    assert count == 0


def test_held_facts_are_decided_at_the_time_of_the_check(approved):
    """Expiry is judged at each check, not when the facts were loaded."""
    later = approved.token.expires_at + timedelta(seconds=1)
    assert check_token(approved.plaintext, "acme/web", "contents:read", now=later).reason == "token_expired"


def test_a_held_decision_holds_only_on_its_side_of_the_expiry(approved):
    before, after = approved.token.expires_at - timedelta(seconds=1), approved.token.expires_at
    reasons = [
        check_token(approved.plaintext, "acme/web", "contents:read", now=moment).reason
        for moment in (before, after, before, after)
    ]
    assert reasons == ["allowed", "token_expired", "allowed", "token_expired"]


def test_unknown_tokens_are_held_too_and_learn_of_nothing_stale(cast):
    issued = fine_grained_token(cast.alice, permissions={"contents": "read"})
    FineGrainedToken.objects.filter(pk=issued.token.pk).delete()
    assert check_token(issued.plaintext, "alice/dotfiles", "contents:read").reason == "credential_invalid"
    _, count = queries_for(lambda: check_token(issued.plaintext, "alice/dotfiles", "contents:read"))
    assert count == 0


# --- Every write is honoured by the next check --------------------------------


def revoke_grant(cast, approved):
    services.grant_revoke(grant=grant_of(approved.token), actor=cast.olga)


def revoke_token(cast, approved):
    services.token_revoke(token=approved.token, actor=cast.alice)


def remove_membership(cast, approved):
    organization_services.membership_remove(organization=cast.acme, user=cast.alice, actor=cast.olga)


def restrict_organization(cast, approved):
    set_organization_policy(cast.acme, fine_grained_access="restrict")


def restrict_enterprise(cast, approved):
    set_enterprise_policy(cast.bigcorp, fine_grained_access="restrict")


def deactivate_user(cast, approved):
    cast.alice.is_active = False
    cast.alice.save()


def unselect_repository(cast, approved):
    approved.token.repositories.remove(cast.web)


def delete_repository(cast, approved):
    cast.web.delete()


def regenerate_token(cast, approved):
    services.token_regenerate(token=approved.token, actor=cast.alice)


@pytest.mark.parametrize(
    "change",
    [
        revoke_grant,
        revoke_token,
        remove_membership,
        restrict_organization,
        restrict_enterprise,
        deactivate_user,
        unselect_repository,
        delete_repository,
        regenerate_token,
    ],
)
def test_a_change_is_honoured_by_the_very_next_check(change, cast, approved):
    change(cast, approved)
    assert not check_token(approved.plaintext, "acme/web", "contents:read").allowed


def test_an_approval_is_honoured_by_the_very_next_check(cast):
    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    request = pending_request(issued.token)
    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "approval_pending"
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    assert check_token(issued.plaintext, "acme/web", "contents:read").allowed


def test_a_new_repository_is_found_by_the_next_check(cast, approved):
    assert check_token(approved.plaintext, "acme/api", "metadata:read").reason == "resource_not_found"
    RepositoryFactory(owner_organization=cast.acme, name="api", visibility="public")
    assert check_token(approved.plaintext, "acme/api", "metadata:read").allowed


def test_a_sign_in_leaves_the_held_facts_alone(approved, client, cast):
    """Django stamps `last_login` on every sign-in; no fact reads it."""
    client.force_login(cast.alice)
    _, count = queries_for(lambda: check_token(approved.plaintext, "acme/web", "contents:read"))
    assert count == 0


def test_a_save_of_a_field_facts_read_is_honoured(approved, cast):
    cast.alice.is_active = False
    cast.alice.save(update_fields=["is_active"])
    assert not check_token(approved.plaintext, "acme/web", "contents:read").allowed


@pytest.mark.django_db(transaction=True)
def test_a_write_bumps_inside_its_transaction_and_once_more_after_commit(cast):
    """A check that read the database before the commit cannot keep its facts."""
    bumps = []
    real_bump = facts_cache.bump

    def spy():
        bumps.append("inside" if connection.in_atomic_block else "after commit")
        real_bump()

    with patch.object(facts_cache, "bump", spy):
        organization_services.membership_remove(organization=cast.acme, user=cast.alice, actor=cast.olga)
    assert bumps[0] == "inside"
    assert bumps[-1] == "after commit"
    assert bumps.count("after commit") == 1


def test_a_version_is_never_reused_after_the_cache_is_flushed(approved):
    from django.core.cache import cache

    before = facts_cache.current().version
    cache.clear()
    assert facts_cache.current().version != before
    _, count = queries_for(lambda: check_token(approved.plaintext, "acme/web", "contents:read"))
    assert count == 1


def test_held_facts_expire_after_their_lifetime(approved, settings):
    settings.PATROL_FACTS_CACHE_SECONDS = 0
    facts_cache.bump()
    check_token(approved.plaintext, "acme/web", "contents:read")
    _, count = queries_for(lambda: check_token(approved.plaintext, "acme/web", "contents:read"))
    assert count == 1


def test_an_unreadable_shared_cache_sends_checks_to_the_database(approved):
    with patch("tokens.engine.facts_cache.cache.get", side_effect=ConnectionError("redis is down")):
        decision, count = queries_for(lambda: check_token(approved.plaintext, "acme/web", "contents:read"))
    assert decision.allowed
    assert count == 1


def test_with_caching_off_every_check_reads_the_database(approved, settings):
    settings.PATROL_FACTS_CACHE = False
    _, count = queries_for(lambda: check_token(approved.plaintext, "acme/web", "contents:read"))
    assert count == 1


# --- The lease: a version read is trusted for a while; a change waits it out -----


def later(seconds):
    """The monotonic clock, `seconds` ahead of now (a lease or an entry ending)."""
    real = facts_cache.time.monotonic
    return patch.object(facts_cache.time, "monotonic", lambda: real() + seconds)


def bump_without_waiting():
    """What another process's committed bump looks like from here, before its wait ends."""
    from django.core.cache import cache

    cache.set(facts_cache.VERSION_KEY, "another-process-bumped-it")


def test_within_its_lease_a_process_answers_from_the_version_it_read(approved, settings):
    settings.PATROL_FACTS_LEASE_SECONDS = 60
    facts_cache.forget()
    check_token(approved.plaintext, "acme/web", "contents:read")
    bump_without_waiting()
    with patch("tokens.engine.facts_cache.cache.get", wraps=facts_cache.cache.get) as reads:
        _, count = queries_for(lambda: check_token(approved.plaintext, "acme/web", "contents:read"))
    assert (count, reads.call_count) == (0, 0)


def test_once_its_lease_ends_a_process_reads_the_version_again(approved, settings):
    settings.PATROL_FACTS_LEASE_SECONDS = 60
    facts_cache.forget()
    check_token(approved.plaintext, "acme/web", "contents:read")
    bump_without_waiting()
    with later(61):
        _, count = queries_for(lambda: check_token(approved.plaintext, "acme/web", "contents:read"))
    assert count == 1
    assert facts_cache.current().version == "another-process-bumped-it"


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_waits_out_the_lease_before_it_goes_on(cast, settings):
    settings.PATROL_FACTS_LEASE_SECONDS = 0.25
    steps = []
    real_bump = facts_cache.bump

    def spy_bump():
        steps.append("bump inside" if connection.in_atomic_block else "bump after commit")
        return real_bump()

    with (
        patch.object(facts_cache, "bump", spy_bump),
        patch.object(facts_cache, "_wait", lambda seconds: steps.append(("wait", seconds))),
    ):
        organization_services.membership_remove(organization=cast.acme, user=cast.alice, actor=cast.olga)
        steps.append("the service returned")
    assert steps[-3:] == ["bump after commit", ("wait", 0.25), "the service returned"]
    assert steps.count(("wait", 0.25)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_change_outside_a_transaction_waits_out_the_lease_at_once(cast, settings):
    settings.PATROL_FACTS_LEASE_SECONDS = 0.25
    with patch.object(facts_cache, "_wait") as wait:
        cast.acme.save()
    wait.assert_called_once_with(0.25)


def test_a_bump_that_cannot_reach_the_cache_does_not_wait(settings):
    settings.PATROL_FACTS_LEASE_SECONDS = 0.25
    with (
        patch("tokens.engine.facts_cache.cache.set", side_effect=ConnectionError("redis is down")),
        patch.object(facts_cache, "_wait") as wait,
    ):
        facts_cache._bump_committed()
    wait.assert_not_called()


# --- last_used_at ----------------------------------------------------------------


def test_last_use_is_written_at_most_once_a_minute_with_held_facts(approved):
    now = timezone.now() + timedelta(minutes=5)
    _, first = queries_for(lambda: check_token(approved.plaintext, "acme/web", "contents:read", now=now))
    _, again = queries_for(
        lambda: check_token(approved.plaintext, "acme/web", "contents:read", now=now + timedelta(seconds=30))
    )
    _, next_minute = queries_for(
        lambda: check_token(approved.plaintext, "acme/web", "contents:read", now=now + timedelta(seconds=61))
    )
    assert (first, again, next_minute) == (1, 0, 1)
    approved.token.refresh_from_db()
    assert approved.token.last_used_at == now + timedelta(seconds=61)


def test_with_the_database_unreachable_held_facts_still_answer_and_the_rest_fail_closed(approved):
    """Held facts are the database's own under the current version — no write can
    commit without moving it — so they keep answering; anything else fails."""
    with database_unreachable():
        assert check_token(approved.plaintext, "acme/web", "contents:read").allowed
        with pytest.raises(OperationalError):
            check_token(approved.plaintext, "acme/docs", "contents:read")


def test_an_enterprise_revoke_is_honoured_by_the_very_next_check(cast):
    issued = classic_token(cast.alice, scopes=["repo"])
    assert check_token(issued.plaintext, "acme/web", "contents:read").allowed

    services.credential_enterprise_revoke(credential=issued.token, enterprise=cast.bigcorp, actor=cast.erin)

    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "access_revoked"
