"""send_expiry_reminders: holders hear 7 days and 1 day before a token expires and when it has, once each
(behaviour §5.2)."""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outbox.models import OutboundEmail
from tests.factories import ClassicTokenFactory, FineGrainedTokenFactory, UserFactory
from tests.tokens.commands.helpers import last_line, run_command
from tokens import reminders, services
from tokens.choices import ExpiryReminderStage
from tokens.engine.moments import moment_words
from tokens.models import ExpiryReminder, FineGrainedToken

FACTORIES = {"fine-grained": FineGrainedTokenFactory, "classic": ClassicTokenFactory}


def expiring_in(token, delta: timedelta, *, lived=timedelta(days=30)):
    """The token as if issued `lived` before an expiry `delta` from now (time passes; no service back-dates)."""
    token.expires_at = timezone.now() + delta
    token.issued_at = token.expires_at - lived
    type(token).objects.filter(pk=token.pk).update(expires_at=token.expires_at, issued_at=token.issued_at)
    return token


def remind_and_deliver(*args) -> str:
    output = run_command("send_expiry_reminders", *args)
    call_command("deliver_outbox")
    return output


@pytest.fixture
def holder(db):
    return UserFactory(username="hana", email="hana@example.com")


@pytest.mark.parametrize("kind", FACTORIES)
@pytest.mark.parametrize(
    ("delta", "subject_end"),
    [
        (timedelta(days=6, hours=12), "expires in 7 days"),
        (timedelta(hours=20), "expires tomorrow"),
        (-timedelta(hours=1), "has expired"),
    ],
    ids=["7 days", "1 day", "expired"],
)
def test_the_holder_is_emailed_at_each_stage(holder, kind, delta, subject_end):
    token = expiring_in(FACTORIES[kind](user=holder), delta)
    remind_and_deliver()
    (email,) = mail.outbox
    assert email.to == ["hana@example.com"]
    assert email.subject == f"[Patrol] Your token “{token.label}” {subject_end}"
    assert moment_words(token.expires_at) in email.body  # as the pages say it
    assert "regenerate it" in email.body


def test_each_stage_is_sent_once_however_often_the_command_runs(holder):
    expiring_in(FineGrainedTokenFactory(user=holder), timedelta(days=5))
    remind_and_deliver()
    remind_and_deliver()
    assert len(mail.outbox) == 1


def test_a_token_hears_of_each_stage_as_time_passes(holder):
    token = expiring_in(FineGrainedTokenFactory(user=holder), timedelta(days=5))
    for now in (timezone.now(), token.expires_at - timedelta(hours=3), token.expires_at + timedelta(minutes=5)):
        with mock.patch("django.utils.timezone.now", return_value=now):
            remind_and_deliver()
    assert [email.subject.rsplit("” ", 1)[1] for email in mail.outbox] == [
        "expires in 7 days",
        "expires tomorrow",
        "has expired",
    ]


def test_a_token_issued_inside_a_stage_skips_it(holder):
    services.fine_grained_token_create(user=holder, name="short", expires_in_days=3)
    remind_and_deliver()
    assert mail.outbox == []


def test_revoked_tokens_and_tokens_without_expiry_get_none(holder):
    expiring_in(FineGrainedTokenFactory(user=holder, revoked=True), timedelta(days=5))
    ClassicTokenFactory(user=holder, expires_in_days=None)
    remind_and_deliver()
    assert mail.outbox == [] and not ExpiryReminder.objects.exists()


def test_holders_who_are_suspended_or_have_no_address_get_none(db):
    expiring_in(FineGrainedTokenFactory(user=UserFactory(is_active=False, email="x@example.com")), timedelta(days=5))
    expiring_in(FineGrainedTokenFactory(user=UserFactory(email="")), timedelta(days=5))
    remind_and_deliver()
    assert mail.outbox == []


def test_tokens_that_expired_long_ago_get_none(holder):
    expiring_in(ClassicTokenFactory(user=holder), -timedelta(days=30))
    remind_and_deliver()
    assert mail.outbox == []


def test_a_token_revoked_or_deleted_after_the_run_is_not_announced(holder):
    revoked = expiring_in(FineGrainedTokenFactory(user=holder), timedelta(days=5))
    deleted = expiring_in(ClassicTokenFactory(user=holder), timedelta(days=5))
    run_command("send_expiry_reminders")
    services.token_revoke(token=revoked, actor=holder)
    services.token_delete(token=deleted, actor=holder)
    call_command("deliver_outbox")
    assert mail.outbox == []
    assert not OutboundEmail.objects.filter(sent_at=None).exists()


def test_a_regenerated_token_is_reminded_again_of_its_new_expiry(holder):
    token = expiring_in(FineGrainedTokenFactory(user=holder), timedelta(days=5))
    remind_and_deliver()
    services.token_regenerate(token=token, actor=holder, expires_in_days=30)
    expiring_in(FineGrainedToken.objects.get(pk=token.pk), timedelta(days=4))
    remind_and_deliver()
    assert len(mail.outbox) == 2


def test_a_reminder_of_an_expiry_the_token_no_longer_has_is_not_sent(holder):
    token = expiring_in(FineGrainedTokenFactory(user=holder), timedelta(days=5))
    run_command("send_expiry_reminders")
    services.token_regenerate(token=token, actor=holder, expires_in_days=90)
    call_command("deliver_outbox")
    assert mail.outbox == []


def test_a_dry_run_counts_and_writes_nothing(holder):
    expiring_in(FineGrainedTokenFactory(user=holder), timedelta(days=5))
    expiring_in(ClassicTokenFactory(user=holder), timedelta(hours=5))
    output = remind_and_deliver("--dry-run")
    assert last_line(output) == "Would send 2 expiry reminders (7 days before: 1, 1 day before: 1, expired: 0)."
    assert mail.outbox == [] and not ExpiryReminder.objects.exists() and not OutboundEmail.objects.exists()


def test_the_command_reports_each_chunk_then_one_summary(holder):
    expiring_in(FineGrainedTokenFactory(user=holder), timedelta(days=5))
    output = run_command("send_expiry_reminders")
    assert output.splitlines() == [
        "Sent 1 reminder: fine-grained tokens, 7 days before.",
        "Sent 1 expiry reminder (7 days before: 1, 1 day before: 0, expired: 0).",
    ]


def test_the_reminders_take_the_same_queries_for_3_tokens_as_for_30(holder):
    def queries_for(count):
        for _ in range(count):
            expiring_in(FineGrainedTokenFactory(user=holder), timedelta(days=5))
            expiring_in(ClassicTokenFactory(user=holder), timedelta(hours=5))
        with CaptureQueriesContext(connection) as queries:
            reminders.expiry_reminders_send()
        return len(queries)

    few = queries_for(3)
    assert queries_for(30) == few
    assert ExpiryReminder.objects.count() == 66


def test_the_tokens_are_walked_in_chunks(holder):
    for _ in range(5):
        expiring_in(FineGrainedTokenFactory(user=holder), timedelta(days=5))
    chunks = []
    reminders.expiry_reminders_send(chunk_size=2, progress=lambda model, stage, count: chunks.append(count))
    assert chunks == [2, 2, 1]


def wait_until_a_query_waits_for_a_lock(timeout=10.0):
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second run never waited for the first")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(holder):
    """The first run holds its chunk uncommitted; the second inserts the same reminders, waits, then sends none."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent writers")
    for _ in range(3):
        expiring_in(FineGrainedTokenFactory(user=holder), timedelta(days=5))
    chunk = list(
        reminders.due_tokens(FineGrainedToken, ExpiryReminderStage.SEVEN_DAYS, now=timezone.now())
        .order_by("pk")
        .values_list("pk", "expires_at")
    )
    inserted, release, counts = threading.Event(), threading.Event(), {}

    def first_run():
        try:
            with transaction.atomic():
                counts["first"] = reminders._remind(FineGrainedToken, ExpiryReminderStage.SEVEN_DAYS, chunk)
                inserted.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def second_run():
        try:
            counts["second"] = sum(reminders.expiry_reminders_send().values())
        finally:
            connection.close()

    threads = [threading.Thread(target=first_run), threading.Thread(target=second_run)]
    threads[0].start()
    assert inserted.wait(timeout=30)
    threads[1].start()
    wait_until_a_query_waits_for_a_lock()
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert counts == {"first": 3, "second": 0}
    assert OutboundEmail.objects.filter(kind="tokens.expiry_reminder").count() == 3
