"""Email on approve, deny and revoke, and the owners' digest (behaviour §5.2)."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.management import call_command

from tests.factories import AccessRequestFactory, classic_token, fine_grained_token, grant_of
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
    assert "Contents (read-only)" in message.body
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


def approved(cast, user, **kwargs):
    return fine_grained_token(
        user,
        resource_owner=cast.acme,
        permissions={"contents": "read"},
        repository_access="all",
        approved=True,
        **kwargs,
    ).token


def test_the_digest_lists_tokens_reaching_the_organization_that_expire_within_7_days(cast):
    request_for(cast.alice, cast, name="waiting", permissions={"contents": "read"})
    approved(cast, cast.alice, name="deploy-bot", expires_in_days=3)
    approved(cast, cast.emu_bob, name="monthly", expires_in_days=30)
    classic = classic_token(cast.emu_bob, note="bob's secret note", scopes=["repo"], expires_in_days=6).token
    call_command("send_pending_digest")
    (message,) = mail.outbox
    assert message.subject == "[Patrol] 1 pending token request in acme, 2 tokens expiring within 7 days"
    assert "fine-grained “deploy-bot” of alice" in message.body
    assert f"classic {classic.masked} of emu_bob" in message.body
    assert "monthly" not in message.body and "secret note" not in message.body
    assert "/orgs/acme/settings/personal-access-tokens/active/?expiring=7" in message.body


def test_expiring_tokens_alone_send_the_digest(cast):
    approved(cast, cast.alice, name="deploy-bot", expires_in_days=2)
    call_command("send_pending_digest")
    (message,) = mail.outbox
    assert message.subject == "[Patrol] 1 token reaching acme expires within 7 days"
    assert "wait for an owner" not in message.body


def test_revoked_and_restricted_tokens_are_not_listed(cast):
    services.grant_revoke(grant=grant_of(approved(cast, cast.alice, expires_in_days=2)), actor=cast.olga)
    services.token_revoke(token=approved(cast, cast.alice, expires_in_days=2), actor=cast.alice)
    cast.acme.classic_access = "restrict"
    cast.acme.save(update_fields=["classic_access"])
    classic_token(cast.alice, scopes=["repo"], expires_in_days=2)
    call_command("send_pending_digest")
    assert mail.outbox == []
