"""Email on approve, deny and revoke, and the owners' digest (behaviour §5.2)."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.management import call_command

from tests.factories import AccessRequestFactory, grant_of
from tokens import services
from tokens.models import AccessRequest


def request_for(user, cast, **kwargs):
    return AccessRequestFactory(
        user=user, organization=cast.acme, repository_access="selected", repositories=[cast.web], **kwargs
    )


def test_approval_email_says_what_was_granted(cast, django_capture_on_commit_callbacks):
    request = request_for(cast.alice, cast, permissions={"contents": "read"})
    with django_capture_on_commit_callbacks(execute=True):
        services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "approved" in message.subject
    assert "contents:read" in message.body
    assert "web" in message.body


def test_denial_email_carries_the_reason(cast, django_capture_on_commit_callbacks):
    request = request_for(cast.alice, cast, permissions={"contents": "read"})
    with django_capture_on_commit_callbacks(execute=True):
        services.access_request_review(request=request, reviewer=cast.olga, approve=False, reason="not for prod")
    (message,) = mail.outbox
    assert "denied" in message.subject
    assert "Reason: not for prod" in message.body


def test_revocation_email_goes_to_the_holder(cast, django_capture_on_commit_callbacks):
    request = request_for(cast.alice, cast, permissions={"contents": "read"})
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_revoke(grant=grant_of(request.token), actor=cast.olga)
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "revoked" in message.subject


def test_a_review_that_fails_sends_nothing(cast, django_capture_on_commit_callbacks):
    request = request_for(cast.alice, cast, permissions={"contents": "read"})
    services.access_request_review(request=request, reviewer=cast.olga, approve=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.ReviewError):
        services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    assert mail.outbox == []


def test_the_digest_emails_each_owner_their_organizations_pending_requests(cast, capsys):
    request_for(cast.alice, cast, name="first", permissions={"contents": "read"})
    request_for(cast.emu_bob, cast, name="second", permissions={"issues": "read"}, justification="triage")
    call_command("send_pending_digest")
    (message,) = mail.outbox
    assert message.to == ["olga@example.com"]
    assert "2 pending token requests in acme" in message.subject
    assert "first" in message.body and "second" in message.body and "triage" in message.body
    assert "Sent 1 digest email." in capsys.readouterr().out


def test_the_digest_says_since_when_in_the_pages_words(cast):
    request = request_for(cast.alice, cast, permissions={"contents": "read"})
    AccessRequest.objects.filter(pk=request.pk).update(created_at=datetime(2026, 12, 5, 1, 33, tzinfo=UTC))

    call_command("send_pending_digest")

    (message,) = mail.outbox
    assert f"#{request.pk} “{request.token.name}” by alice, since Dec 5, 2026, 01:33 UTC:" in message.body


def test_the_digest_is_silent_when_nothing_is_pending(cast):
    call_command("send_pending_digest")
    assert mail.outbox == []
