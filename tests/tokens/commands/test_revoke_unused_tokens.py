"""revoke_unused_tokens: an enterprise's setting revokes tokens unused for N days, a week after warning their
holders (behaviour §5.1)."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from outbox.models import OutboundEmail
from policies.services import enterprise_policy_update
from tests.factories import classic_token, fine_grained_token
from tests.tokens.commands.helpers import run_command
from tests.tokens.commands.test_send_expiry_reminders import wait_until_a_query_waits_for_a_lock
from tokens import unused
from tokens.models import EnterpriseCredentialRevocation, Grant, UnusedTokenWarning

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def unused_for(token, days: float):
    """The token as if last used `days` ago (time passes; no service back-dates)."""
    token.last_used_at = timezone.now() - days * DAY
    type(token).objects.filter(pk=token.pk).update(last_used_at=token.last_used_at)
    return token


@pytest.fixture
def world(cast):
    """Big Corp revokes tokens unused for 90 days; alice holds one token of each kind reaching it."""
    cast.bigcorp = enterprise_policy_update(enterprise=cast.bigcorp, revoke_unused_after_days=90)
    cast.fine_grained = fine_grained_token(
        cast.alice, name="alice-acme", resource_owner=cast.acme, permissions={"contents": "read"}, approved=True
    ).token
    cast.classic = classic_token(cast.alice, note="alice-laptop", scopes=["repo"]).token
    run_command("deliver_outbox")
    mail.outbox.clear()  # the approval's email
    return cast


def run_and_deliver(*, now=None) -> None:
    unused.unused_tokens_revoke(now=now)
    run_command("deliver_outbox")


def revoked_in_bigcorp(world) -> set[str]:
    revoked = set()
    if Grant.objects.filter(token=world.fine_grained, revoked_at__isnull=False).exists():
        revoked.add("fine-grained")
    if EnterpriseCredentialRevocation.objects.filter(enterprise=world.bigcorp, classic_token=world.classic).exists():
        revoked.add("classic")
    return revoked


def test_holders_are_warned_a_week_before_a_token_is_revoked(world):
    unused_for(world.fine_grained, 84)
    unused_for(world.classic, 84)
    run_and_deliver()
    assert sorted(message.subject for message in mail.outbox) == [
        "[Patrol] Your unused fine-grained personal access token “alice-acme” loses its access to Big Corp in a week",
        "[Patrol] Your unused personal access token (classic) “alice-laptop” loses its access to Big Corp in a week",
    ]
    assert "Big Corp revokes tokens unused for 90 days" in mail.outbox[0].body
    assert revoked_in_bigcorp(world) == set()


def test_recently_used_tokens_are_neither_warned_nor_revoked(world):
    unused_for(world.fine_grained, 82)
    run_and_deliver()
    assert not UnusedTokenWarning.objects.exists() and mail.outbox == []


def test_a_token_is_warned_once_however_often_the_command_runs(world):
    unused_for(world.classic, 84)
    for _ in range(3):
        run_and_deliver()
    assert len(mail.outbox) == 1


def test_a_token_unused_too_long_is_revoked_a_week_after_its_warning_not_before(world):
    unused_for(world.fine_grained, 200)
    unused_for(world.classic, 200)
    run_and_deliver()
    assert revoked_in_bigcorp(world) == set()  # warned first, even when the setting is new
    run_and_deliver(now=timezone.now() + WEEK - DAY)
    assert revoked_in_bigcorp(world) == set()
    run_and_deliver(now=timezone.now() + WEEK + DAY)
    assert revoked_in_bigcorp(world) == {"fine-grained", "classic"}


def test_a_revoked_token_keeps_working_outside_the_enterprise(world):
    unused_for(world.classic, 84)
    run_and_deliver()
    run_and_deliver(now=timezone.now() + WEEK + DAY)
    world.classic.refresh_from_db()
    assert world.classic.revoked_at is None
    assert revoked_in_bigcorp(world) == {"classic"}


def test_the_holder_is_emailed_when_it_happens(world):
    unused_for(world.fine_grained, 84)
    run_and_deliver()
    run_and_deliver(now=timezone.now() + WEEK + DAY)
    revoked = mail.outbox[-1]
    assert revoked.to == [world.alice.email]
    assert revoked.subject == (
        "[Patrol] Your unused fine-grained personal access token “alice-acme” lost its access to Big Corp"
    )
    assert "was not used for 90 days" in revoked.body


def test_each_revoke_is_audited_with_why(world):
    unused_for(world.fine_grained, 84)
    unused_for(world.classic, 84)
    run_and_deliver()
    run_and_deliver(now=timezone.now() + WEEK + DAY)
    events = AuditEvent.objects.filter(action="personal_access_token.access_revoked").order_by("pk")
    assert [(event.actor, event.data["by"], event.data["why"]) for event in events] == [
        (None, "enterprise", "unused for 90 days"),
        (None, "enterprise", "unused for 90 days"),
    ]


def test_a_token_used_after_its_warning_starts_a_new_spell(world):
    unused_for(world.classic, 84)
    run_and_deliver()
    unused_for(world.classic, 0)  # its holder uses it
    run_and_deliver(now=timezone.now() + WEEK + DAY)
    assert revoked_in_bigcorp(world) == set()
    unused_for(world.classic, 84)  # and then not again
    run_and_deliver()
    assert UnusedTokenWarning.objects.filter(classic_token=world.classic).count() == 2
    assert len(mail.outbox) == 2


def test_the_warning_is_dropped_unsent_if_the_token_is_used_before_delivery(world):
    unused_for(world.classic, 84)
    unused.unused_tokens_revoke()
    unused_for(world.classic, 0)
    run_command("deliver_outbox")
    assert mail.outbox == []


def test_expired_tokens_are_left_to_their_expiry(world):
    unused_for(world.classic, 200)
    type(world.classic).objects.filter(pk=world.classic.pk).update(expires_at=timezone.now() - DAY)
    run_and_deliver()
    run_and_deliver(now=timezone.now() + WEEK + DAY)
    assert not UnusedTokenWarning.objects.exists() and revoked_in_bigcorp(world) == set()


def test_nothing_happens_while_the_setting_is_off(world):
    enterprise_policy_update(enterprise=world.bigcorp, revoke_unused_after_days=None)
    unused_for(world.fine_grained, 400)
    run_and_deliver()
    run_and_deliver(now=timezone.now() + WEEK + DAY)
    assert mail.outbox == [] and revoked_in_bigcorp(world) == set()


def test_other_enterprises_tokens_are_left_alone(world):
    mallory = classic_token(world.mallory, scopes=["repo"]).token
    outside = fine_grained_token(world.mallory, resource_owner=world.globex).token
    for token in (mallory, outside):
        unused_for(token, 400)
    run_and_deliver()
    run_and_deliver(now=timezone.now() + WEEK + DAY)
    assert not UnusedTokenWarning.objects.exists()
    assert not EnterpriseCredentialRevocation.objects.exists()


def test_a_dry_run_lists_what_it_would_do_and_writes_nothing(world):
    unused_for(world.classic, 84)
    output = run_command("revoke_unused_tokens", "--dry-run")
    since = world.classic.last_used_at.strftime("%Y-%m-%d")
    assert output.splitlines() == [
        f"Big Corp: would warn the holder of alice’s classic token #{world.classic.pk} (unused since {since}).",
        "Would warn the holders of 1 token and revoke 0 tokens.",
    ]
    assert not UnusedTokenWarning.objects.exists()
    assert not OutboundEmail.objects.filter(kind="tokens.unused_token_warning").exists()


def test_a_dry_run_lists_the_tokens_it_would_revoke(world, monkeypatch):
    unused_for(world.classic, 84)
    unused.unused_tokens_revoke()
    later = timezone.now() + WEEK + DAY
    monkeypatch.setattr(unused.timezone, "now", lambda: later)
    output = run_command("revoke_unused_tokens", "--dry-run")
    assert f"Big Corp: would revoke alice’s classic token #{world.classic.pk}" in output
    assert output.splitlines()[-1] == "Would warn the holders of 0 tokens and revoke 1 token."
    assert revoked_in_bigcorp(world) == set()


def test_the_command_reports_each_chunk_then_one_summary(world):
    unused_for(world.fine_grained, 84)
    unused_for(world.classic, 84)
    output = run_command("revoke_unused_tokens")
    assert output.splitlines() == [
        "Big Corp: warned the holders of 1 fine-grained token.",
        "Big Corp: warned the holders of 1 classic token.",
        "Warned the holders of 2 tokens and revoked 0 tokens.",
    ]


def test_the_warnings_take_the_same_queries_for_3_tokens_as_for_30(world):
    def queries_for(count):
        for _ in range(count):
            unused_for(classic_token(world.alice, scopes=["repo"]).token, 84)
        with CaptureQueriesContext(connection) as queries:
            unused.unused_tokens_revoke()
        return len(queries)

    few = queries_for(3)
    assert queries_for(30) == few
    assert UnusedTokenWarning.objects.count() == 33


def test_each_revoke_takes_the_same_few_queries(world):
    def queries_for(count):
        tokens = [unused_for(classic_token(world.alice, scopes=["repo"]).token, 84) for _ in range(count)]
        unused.unused_tokens_revoke()
        with CaptureQueriesContext(connection) as queries:
            unused.unused_tokens_revoke(now=timezone.now() + WEEK + DAY)
        assert EnterpriseCredentialRevocation.objects.filter(classic_token__in=tokens).count() == count
        return len(queries)

    three, six, nine = queries_for(3), queries_for(6), queries_for(9)
    assert nine - six == six - three <= 3 * 15


def test_the_tokens_are_walked_in_chunks(world):
    for _ in range(5):
        unused_for(classic_token(world.alice, scopes=["repo"]).token, 84)
    chunks = []
    unused.unused_tokens_revoke(chunk_size=2, progress=lambda step: chunks.append(step.done))
    assert chunks == [2, 2, 1]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_revoke_and_email_each_token_once(world):
    """The first run holds a token's revoke uncommitted; the second waits for its lock, then finds it gone."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    unused_for(world.classic, 84)
    unused.unused_tokens_revoke()
    later = timezone.now() + WEEK + DAY
    inside, release, counts = threading.Event(), threading.Event(), {}
    revoke = unused.credential_enterprise_revoke

    def held_revoke(**kwargs):
        revocation = revoke(**kwargs)
        inside.set()
        release.wait(timeout=30)
        return revocation

    def run(name, patched):
        try:
            if patched:
                unused.credential_enterprise_revoke = held_revoke
            counts[name] = unused.unused_tokens_revoke(now=later).revoked
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first", True))
    first.start()
    try:
        assert inside.wait(timeout=30)
        unused.credential_enterprise_revoke = revoke
        second = threading.Thread(target=run, args=("second", False))
        second.start()
        wait_until_a_query_waits_for_a_lock()
        release.set()
        first.join(timeout=60)
        second.join(timeout=60)
    finally:
        unused.credential_enterprise_revoke = revoke
    assert counts == {"first": 1, "second": 0}
    assert EnterpriseCredentialRevocation.objects.filter(classic_token=world.classic).count() == 1
    assert OutboundEmail.objects.filter(kind="tokens.revoked_by_enterprise").count() == 1
