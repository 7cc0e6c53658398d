"""A crash right after the commit loses neither the audit event nor the email (issue 5).

The email is a row committed with the review; if the process dies before the
on-commit hook sends it, `deliver_outbox` (run periodically) sends it, once.
"""

from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from audit.models import AuditEvent
from outbox.models import OutboundEmail
from tests.outbox.helpers import request_for
from tokens import services


def test_the_email_waits_in_the_outbox_and_deliver_outbox_sends_it_once(cast, django_capture_on_commit_callbacks):
    request = request_for(cast)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # the process dies after COMMIT
        services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    assert len(callbacks) == 1
    assert mail.outbox == []
    assert AuditEvent.objects.filter(action="personal_access_token.access_granted").count() == 1
    assert OutboundEmail.objects.get().sent_at is None

    call_command("deliver_outbox")
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "approved" in message.subject

    call_command("deliver_outbox")
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_commit_followed_by_a_crash_keeps_the_event_and_the_email(cast, capsys):
    request = request_for(cast)
    with mock.patch.object(transaction, "on_commit"):  # committed, but no on-commit callback ever runs
        services.access_request_review(request=request, reviewer=cast.olga, approve=False, reason="not now")
    assert AuditEvent.objects.filter(action="personal_access_token.request_denied").count() == 1
    assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 1
    assert mail.outbox == []

    call_command("deliver_outbox")
    call_command("deliver_outbox")
    (message,) = mail.outbox
    assert "Reason: not now" in message.body
    email = OutboundEmail.objects.get()
    assert capsys.readouterr().out == (
        f"#{email.pk} tokens.request_reviewed: sent\nSent 1, failed 0, parked 0.\nSent 0, failed 0, parked 0.\n"
    )
