"""Removing a member revokes their tokens' grants to the organization (issue 16 §6).

In the removal's transaction, audited with a reason and announced by email; if
they are added back, the old grant stays revoked and a new token asks again.
"""

import pytest
from django.core import mail

from audit.models import AuditEvent
from organizations.services import membership_add, membership_remove
from tests.factories import fine_grained_token, grant_of, pending_request
from tests.tokens.engine.helpers import check_token
from tokens import services
from tokens.engine.decision import Reason
from tokens.models import AccessRequest, Grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(cast):
    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}, approved=True
    )
    mail.outbox.clear()
    return issued


def remove_alice(cast):
    membership_remove(organization=cast.acme, user=cast.alice, actor=cast.olga)


def test_removing_a_member_revokes_their_grants_to_the_organization(cast, approved):
    remove_alice(cast)

    grant = grant_of(approved.token)
    assert grant.revoked_at is not None
    assert grant.revoked_by == cast.olga


def test_the_revoke_is_audited_with_its_reason(cast, approved):
    remove_alice(cast)

    event = AuditEvent.objects.get(action="personal_access_token.access_revoked", token_id=approved.token.pk)
    assert event.organization == cast.acme
    assert event.actor == cast.olga
    assert event.data == {"grant_id": grant_of(approved.token).pk, "reason": "alice was removed from acme."}


def test_the_holder_is_emailed_through_the_outbox(cast, approved, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        remove_alice(cast)

    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "lost its access to acme" in message.subject
    assert "create a new token to ask for access again" in message.body


def test_their_pending_requests_to_the_organization_are_cancelled(cast):
    pending = pending_request(fine_grained_token(cast.alice, resource_owner=cast.acme).token)

    remove_alice(cast)

    assert AccessRequest.objects.get(pk=pending.pk).status == "cancelled"


def test_other_members_grants_are_left_alone(cast, approved):
    bobs = fine_grained_token(cast.emu_bob, resource_owner=cast.acme, permissions={"contents": "read"}, approved=True)

    remove_alice(cast)

    assert grant_of(bobs.token).revoked_at is None


def test_a_member_added_back_gets_no_access_from_the_old_token(cast, approved):
    remove_alice(cast)
    membership_add(organization=cast.acme, user=cast.alice, actor=cast.olga)

    assert check_token(approved.plaintext, "acme/web", "contents:read").reason == Reason.ACCESS_REVOKED


def test_a_member_added_back_asks_again_with_a_new_token(cast, approved):
    remove_alice(cast)
    membership_add(organization=cast.acme, user=cast.alice, actor=cast.olga)

    again = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )

    assert pending_request(again.token).status == "pending"
    assert check_token(again.plaintext, "acme/web", "contents:read").reason == Reason.APPROVAL_PENDING


def test_a_failing_revoke_rolls_the_removal_back(cast, approved, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(services, "outbound_email_enqueue", fail)

    with pytest.raises(RuntimeError):
        remove_alice(cast)

    assert cast.acme.memberships.filter(user=cast.alice).exists()
    assert Grant.objects.get(token=approved.token).revoked_at is None
