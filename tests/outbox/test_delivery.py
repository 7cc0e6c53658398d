"""Emails go through the outbox: sent right after commit, once; failures wait for the next run."""

from smtplib import SMTPServerDisconnected
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from outbox.models import OutboundEmail
from outbox.services import outbound_email_deliver, outbound_email_enqueue
from tests.factories import grant_of
from tests.outbox.helpers import at, later, request_for
from tokens import notifications, services

SMTP_DOWN = mock.patch(
    "django.core.mail.backends.locmem.EmailBackend.send_messages",
    side_effect=SMTPServerDisconnected("Connection unexpectedly closed"),
)


def test_a_review_stores_its_email_as_ids_only(cast):
    request = request_for(cast)
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    (email,) = OutboundEmail.objects.all()
    assert (email.kind, email.payload, email.sent_at, email.attempts) == (
        "tokens.request_reviewed",
        {"request_id": request.pk},
        None,
        0,
    )


def test_the_email_is_sent_right_after_commit_and_marked_sent(cast, django_capture_on_commit_callbacks):
    request = request_for(cast)
    with django_capture_on_commit_callbacks(execute=True):
        services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    (message,) = mail.outbox
    assert "approved" in message.subject
    email = OutboundEmail.objects.get()
    assert email.sent_at is not None
    assert email.attempts == 1


def test_a_sent_email_is_not_sent_again(cast, django_capture_on_commit_callbacks):
    request = request_for(cast)
    with django_capture_on_commit_callbacks(execute=True):
        services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    assert outbound_email_deliver(email_id=OutboundEmail.objects.get().pk) is False
    call_command("deliver_outbox")
    assert len(mail.outbox) == 1


def test_a_revocation_goes_through_the_outbox_too(cast, django_capture_on_commit_callbacks):
    request = request_for(cast)
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    grant = grant_of(request.token)
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_revoke(grant=grant, actor=cast.olga)
    assert OutboundEmail.objects.get(kind="tokens.access_revoked").payload == {"grant_id": grant.pk}
    (message,) = mail.outbox
    assert "revoked" in message.subject


def test_a_rolled_back_review_leaves_no_row_and_sends_nothing(cast, django_capture_on_commit_callbacks):
    request = request_for(cast)
    services.access_request_review(request=request, reviewer=cast.olga, approve=False)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.ReviewError):
        services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    assert OutboundEmail.objects.count() == 1  # the first review's only
    assert mail.outbox == []


def test_an_smtp_failure_keeps_the_row_records_the_error_and_does_not_raise(cast, django_capture_on_commit_callbacks):
    request = request_for(cast)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    with SMTP_DOWN:
        (deliver,) = callbacks
        deliver()  # what runs after the review's commit: it must not raise into the request
    email = OutboundEmail.objects.get()
    assert email.sent_at is None
    assert email.attempts == 1
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert mail.outbox == []


def test_deliver_outbox_retries_a_failed_email_once_its_backoff_is_over(cast, django_capture_on_commit_callbacks):
    request = request_for(cast)
    with SMTP_DOWN, django_capture_on_commit_callbacks(execute=True):
        services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    with later(settings.PATROL_OUTBOX_RETRY_SECONDS):
        call_command("deliver_outbox")
    (message,) = mail.outbox
    assert "approved" in message.subject
    email = OutboundEmail.objects.get()
    assert email.sent_at is not None
    assert email.attempts == 2


def test_a_failed_email_is_left_alone_until_its_backoff_is_over(cast, django_capture_on_commit_callbacks):
    with SMTP_DOWN, django_capture_on_commit_callbacks(execute=True):
        services.access_request_review(request=request_for(cast), reviewer=cast.olga, approve=True)
    with later(settings.PATROL_OUTBOX_RETRY_SECONDS - 1):
        call_command("deliver_outbox")
    assert mail.outbox == []
    assert OutboundEmail.objects.get().attempts == 1


def test_the_backoff_doubles_with_each_failure(cast):
    services.access_request_review(request=request_for(cast), reviewer=cast.olga, approve=True)
    now, delays = timezone.now(), []
    for _ in range(3):
        with SMTP_DOWN, at(now), pytest.raises(CommandError):
            call_command("deliver_outbox")
        due = OutboundEmail.objects.get().next_attempt_at
        delays.append((due - now).total_seconds())
        now = due
    base = settings.PATROL_OUTBOX_RETRY_SECONDS
    assert delays == [base, 2 * base, 4 * base]


def test_deliver_outbox_fails_loudly_while_smtp_is_down_and_keeps_the_email(cast):
    services.access_request_review(request=request_for(cast), reviewer=cast.olga, approve=True)
    with SMTP_DOWN, pytest.raises(CommandError, match="1 email failed"):
        call_command("deliver_outbox")
    email = OutboundEmail.objects.get()
    assert (email.sent_at, email.attempts) == (None, 1)


def test_an_email_about_something_deleted_since_is_done_without_sending(cast):
    request = request_for(cast)
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    services.token_delete(token=request.token, actor=cast.alice)
    call_command("deliver_outbox")
    assert mail.outbox == []
    assert OutboundEmail.objects.get(kind="tokens.request_reviewed").sent_at is not None


def test_an_unknown_kind_fails_and_waits(db):
    OutboundEmail.objects.create(kind="gone.renamed_sender", payload={"id": 1})
    with pytest.raises(CommandError):
        call_command("deliver_outbox")
    email = OutboundEmail.objects.get()
    assert email.sent_at is None
    assert "No sender is registered for outbound email kind 'gone.renamed_sender'" in email.last_error


def test_the_payload_holds_ids_only(db):
    with pytest.raises(TypeError):
        outbound_email_enqueue(notifications.request_reviewed, request_id="patrol_fg_secret")


@pytest.mark.django_db(transaction=True)
def test_an_email_is_enqueued_only_inside_the_transaction_of_its_change():
    with pytest.raises(TransactionManagementError):
        outbound_email_enqueue(notifications.request_reviewed, request_id=1)
    assert not OutboundEmail.objects.exists()
