"""The audit event, the email and the change commit or roll back together (behaviour §8)."""

from unittest import mock

import pytest
from django.core import mail
from django.db import DatabaseError, transaction

from audit.models import AuditEvent
from outbox.models import OutboundEmail
from tests.factories import grant_of
from tests.outbox.helpers import request_for
from tokens import services
from tokens.models import AccessRequest, Grant


class Crash(Exception):
    pass


def test_a_review_rolled_back_after_it_ran_leaves_no_event_and_no_email(cast, django_capture_on_commit_callbacks):
    request = request_for(cast)
    before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Crash), transaction.atomic():
        services.access_request_review(request=request, reviewer=cast.olga, approve=True)
        raise Crash
    assert AccessRequest.objects.get(pk=request.pk).status == "pending"
    assert not Grant.objects.filter(token=request.token).exists()
    assert AuditEvent.objects.count() == before
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_a_review_whose_event_cannot_be_written_is_not_made(cast, django_capture_on_commit_callbacks):
    request = request_for(cast)
    before = AuditEvent.objects.count()
    with (
        mock.patch("tokens.services.audit_record", side_effect=DatabaseError("disk full")),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(DatabaseError),
    ):
        services.access_request_review(request=request, reviewer=cast.olga, approve=False, reason="no")
    assert AccessRequest.objects.get(pk=request.pk).status == "pending"
    assert AuditEvent.objects.count() == before
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_a_revocation_rolled_back_leaves_the_grant_active_and_no_event(cast, django_capture_on_commit_callbacks):
    request = request_for(cast)
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    grant = grant_of(request.token)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Crash), transaction.atomic():
        services.grant_revoke(grant=grant, actor=cast.olga)
        raise Crash
    assert Grant.objects.get(pk=grant.pk).revoked_at is None
    assert not AuditEvent.objects.filter(action="personal_access_token.access_revoked").exists()
    assert not OutboundEmail.objects.filter(kind="tokens.access_revoked").exists()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_review_has_its_event_and_its_email(cast):
    request = request_for(cast)
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    granted = AuditEvent.objects.get(action="personal_access_token.access_granted", data__request_id=request.pk)
    assert granted.actor == cast.olga
    assert OutboundEmail.objects.get().sent_at is not None
    assert len(mail.outbox) == 1
