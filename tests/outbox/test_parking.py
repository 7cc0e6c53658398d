"""An email that can never be sent is parked after PATROL_OUTBOX_MAX_ATTEMPTS, and stops blocking anything.

The poison email comes first in the queue (the lowest id), as a bad row did
before: every run tried it, failed and exited non-zero, and the requester after
it was told nothing until someone noticed.
"""

from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from outbox.models import OutboundEmail
from outbox.services import outbound_emails_retry
from tests.outbox.helpers import later, poison_email, request_for
from tokens import services

MAX = settings.PATROL_OUTBOX_MAX_ATTEMPTS


def deliver_outbox() -> tuple[str, str | None]:
    """(stdout, the CommandError's message or None)."""
    out = StringIO()
    try:
        call_command("deliver_outbox", stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), None


def run_until_parked(email: OutboundEmail) -> list[str | None]:
    """Run deliver_outbox once per allowed attempt, each past the longest backoff; the runs' errors."""
    errors = []
    for _ in range(MAX):
        with later(2**MAX * settings.PATROL_OUTBOX_RETRY_SECONDS * len(errors)):
            errors.append(deliver_outbox()[1])
    email.refresh_from_db()
    return errors


def test_a_poison_email_does_not_hold_up_the_emails_after_it(cast):
    email = poison_email()
    services.access_request_review(request=request_for(cast), reviewer=cast.olga, approve=True)
    deliver_outbox()
    (message,) = mail.outbox
    assert "approved" in message.subject
    email.refresh_from_db()
    assert (email.attempts, email.sent_at, email.parked_at) == (1, None, None)


def test_a_poison_email_is_parked_after_the_last_allowed_attempt_with_its_error(cast):
    email = poison_email()
    run_until_parked(email)
    assert email.attempts == MAX
    assert email.parked_at is not None
    assert email.sent_at is None
    assert email.last_error.startswith("BadHeaderError: Header values can't contain newlines")


def test_deliver_outbox_fails_until_the_email_is_parked_then_exits_zero(cast):
    email = poison_email()
    errors = run_until_parked(email)
    assert errors[:-1] == ["1 email failed and wait for a later run (see last_error)."] * (MAX - 1)
    assert errors[-1] is None  # the run that parks it
    with later(10 * 2**MAX * settings.PATROL_OUTBOX_RETRY_SECONDS):
        assert deliver_outbox() == ("Sent 0, failed 0, parked 0.\n", None)
    email.refresh_from_db()
    assert email.attempts == MAX  # a parked email is not tried again


def test_deliver_outbox_prints_each_email_and_a_summary(cast, django_capture_on_commit_callbacks):
    parked, failing = poison_email(1), poison_email(2)
    OutboundEmail.objects.filter(pk=parked.pk).update(attempts=MAX - 1)
    services.access_request_review(request=request_for(cast), reviewer=cast.olga, approve=True)
    sent = OutboundEmail.objects.get(kind="tokens.request_reviewed")
    out, error = deliver_outbox()
    lines = out.splitlines()
    assert lines[0].startswith(f"#{parked.pk} tests.poison: parked after {MAX} attempts: BadHeaderError: Header")
    assert lines[1].startswith(f"#{failing.pk} tests.poison: failed (attempt 1 of {MAX}, next after ")
    assert lines[2] == f"#{sent.pk} tokens.request_reviewed: sent"
    assert lines[3] == "Sent 1, failed 1, parked 1."
    assert len(lines) == 4
    assert error == "1 email failed and wait for a later run (see last_error)."


def test_an_error_quoting_control_characters_is_kept_on_one_line(cast):
    email = poison_email()
    deliver_outbox()
    email.refresh_from_db()
    assert email.attempts == 1
    assert email.last_error == (
        "BadHeaderError: Header values can't contain newlines (got 'deploy Bcc: x@y ' in email 1)"
    )


def test_a_superuser_puts_a_parked_email_back_in_the_queue_and_it_is_audited(cast):
    email = poison_email()
    run_until_parked(email)
    assert outbound_emails_retry(ids=[email.pk], actor=cast.olga) == 1
    email.refresh_from_db()
    assert (email.parked_at, email.next_attempt_at, email.attempts) == (None, None, 0)
    event = AuditEvent.objects.get(action="outbox.email_retried")
    assert event.data["email_id"] == email.pk
    assert event.data["attempts"] == MAX
    with pytest.raises(CommandError):
        call_command("deliver_outbox", stdout=StringIO())  # tried again at once
    email.refresh_from_db()
    assert email.attempts == 1


def test_retrying_leaves_emails_that_are_not_parked_alone(cast):
    email = poison_email()
    deliver_outbox()
    assert outbound_emails_retry(ids=[email.pk], actor=cast.olga) == 0
    email.refresh_from_db()
    assert email.attempts == 1
    assert not AuditEvent.objects.filter(action="outbox.email_retried").exists()
