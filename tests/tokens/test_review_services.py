"""Reviewing requests and revoking grants (behaviour §3, §4 gate 15, §8): the transitions,
who may make them, and the audit events they leave.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from organizations.services import organization_owner_remove
from tests.factories import fine_grained_token, grant_of, pending_request
from tests.tokens.engine.helpers import check_token, events, set_organization_policy, token_actions
from tokens import services
from tokens.services import ReviewError


@pytest.fixture
def pending(cast):
    """alice's token for acme, waiting for review."""
    return fine_grained_token(
        cast.alice,
        resource_owner=cast.acme,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "read", "issues": "read"},
        justification="release notes",
    )


def review(cast, issued, *, approve, reviewer=None, reason=""):
    return services.access_request_review(
        request=pending_request(issued.token), reviewer=reviewer or cast.olga, approve=approve, reason=reason
    )


# --- Approve -----------------------------------------------------------------------------


def test_approving_marks_the_request_reviewed(cast, pending):
    request = review(cast, pending, approve=True)

    request.refresh_from_db()
    assert (request.status, request.reviewed_by, request.reason) == ("approved", cast.olga, "")
    assert request.reviewed_at is not None


def test_approving_grants_the_requested_snapshot(cast, pending):
    request = review(cast, pending, approve=True)

    grant = grant_of(pending.token)
    assert (grant.request, grant.auto_approved, grant.revoked_at) == (request, False, None)
    assert (grant.repository_access, grant.repository_ids, grant.permissions) == (
        "selected",
        [cast.web.pk],
        {"contents": "read", "issues": "read"},
    )


def test_approved_token_reaches_what_was_approved(cast, pending):
    review(cast, pending, approve=True)

    assert check_token(pending.plaintext, "acme/web", "contents:read").reason == "allowed"
    assert check_token(pending.plaintext, "acme/web", "issues:read").reason == "allowed"
    assert check_token(pending.plaintext, "acme/handbook", "contents:read").reason == "repository_not_selected"


def test_approving_is_audited_as_not_auto_approved(cast, pending):
    request = review(cast, pending, approve=True)

    (event,) = events("personal_access_token.access_granted", pending.token)
    assert (event.actor, event.organization, event.enterprise) == (cast.olga, cast.acme, cast.bigcorp)
    assert event.data["auto_approved"] is False
    assert event.data["request_id"] == request.pk
    assert event.data["grant_id"] == grant_of(pending.token).pk
    assert token_actions(pending.token) == [
        "personal_access_token.created",
        "personal_access_token.request_created",
        "personal_access_token.access_granted",
    ]


# --- Deny ------------------------------------------------------------------------------------


def test_denying_records_the_reason(cast, pending):
    request = review(cast, pending, approve=False, reason="Use the release bot")

    request.refresh_from_db()
    assert (request.status, request.reviewed_by, request.reason) == ("denied", cast.olga, "Use the release bot")
    assert not pending.token.grants.exists()


def test_denied_token_is_told_why(cast, pending):
    request = review(cast, pending, approve=False, reason="Use the release bot")

    decision = check_token(pending.plaintext, "acme/web", "contents:read")

    assert (decision.reason, decision.request_id) == ("approval_denied", request.pk)
    assert "Use the release bot" in decision.message


def test_denying_is_audited_with_the_reason(cast, pending):
    request = review(cast, pending, approve=False, reason="Use the release bot")

    (event,) = events("personal_access_token.request_denied", pending.token)
    assert (event.actor, event.organization) == (cast.olga, cast.acme)
    assert event.data == {"request_id": request.pk, "reason": "Use the release bot"}


def test_denial_reason_is_limited_to_1024_characters(cast, pending):
    with pytest.raises(ValidationError):
        review(cast, pending, approve=False, reason="x" * 1025)

    assert pending_request(pending.token).status == "pending"


def test_asking_again_after_a_denial_opens_a_new_request(cast, pending):
    review(cast, pending, approve=False)

    services.fine_grained_token_update(
        token=pending.token, actor=cast.alice, permissions={"contents": "read", "issues": "read", "actions": "read"}
    )

    assert check_token(pending.plaintext, "acme/web", "contents:read").reason == "approval_pending"


# --- Cancel ------------------------------------------------------------------------------------


def test_holder_cancels_a_pending_request(cast, pending):
    request = services.access_request_cancel(request=pending_request(pending.token), actor=cast.alice)

    request.refresh_from_db()
    assert request.status == "cancelled"
    (event,) = events("personal_access_token.request_cancelled", pending.token)
    assert (event.actor, event.data) == (cast.alice, {"request_id": request.pk, "why": "cancelled by requester"})


def test_cancelled_request_leaves_the_token_needing_approval(cast, pending):
    services.access_request_cancel(request=pending_request(pending.token), actor=cast.alice)

    decision = check_token(pending.plaintext, "acme/web", "contents:read")

    assert (decision.reason, decision.request_id) == ("approval_required", None)


@pytest.mark.parametrize("who", ["olga", "emu_bob", "mallory"])
def test_only_the_holder_cancels(cast, pending, who):
    with pytest.raises(PermissionDenied):
        services.access_request_cancel(request=pending_request(pending.token), actor=getattr(cast, who))

    assert pending_request(pending.token).status == "pending"


# --- Revoke --------------------------------------------------------------------------------------


@pytest.fixture
def approved(cast, pending):
    review(cast, pending, approve=True)
    return pending


def test_revoking_marks_the_grant(cast, approved):
    grant = services.grant_revoke(grant=grant_of(approved.token), actor=cast.olga)

    grant.refresh_from_db()
    assert (grant.revoked_by, grant.revoked_at is not None) == (cast.olga, True)


def test_revoked_grant_blocks_the_token(cast, approved):
    services.grant_revoke(grant=grant_of(approved.token), actor=cast.olga)

    decision = check_token(approved.plaintext, "acme/web", "contents:read")

    assert (decision.reason, decision.policy_source) == ("access_revoked", "organization")
    assert "An owner of acme revoked this token's access" in decision.message


def test_revoking_is_audited(cast, approved):
    grant = services.grant_revoke(grant=grant_of(approved.token), actor=cast.olga)

    (event,) = events("personal_access_token.access_revoked", approved.token)
    assert (event.actor, event.organization, event.data) == (cast.olga, cast.acme, {"grant_id": grant.pk})


def test_revoked_grant_blocks_even_where_approval_is_not_required(cast):
    set_organization_policy(cast.acme, fine_grained_approval="not_required")
    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    services.grant_revoke(grant=grant_of(issued.token), actor=cast.olga)

    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "access_revoked"


def test_revoked_grant_blocks_an_owners_token_too(cast):
    issued = fine_grained_token(
        cast.olga, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    services.grant_revoke(grant=grant_of(issued.token), actor=cast.olga)

    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "access_revoked"


def test_revoking_cancels_the_pending_request(cast, approved):
    services.fine_grained_token_update(
        token=approved.token, actor=cast.alice, permissions={"contents": "read", "issues": "write"}
    )
    request = pending_request(approved.token)

    services.grant_revoke(grant=grant_of(approved.token), actor=cast.olga)

    request.refresh_from_db()
    assert request.status == "cancelled"
    assert events("personal_access_token.request_cancelled", approved.token)[-1].data["why"] == "access revoked"


def test_revoking_twice_is_refused(cast, approved):
    services.grant_revoke(grant=grant_of(approved.token), actor=cast.olga)

    with pytest.raises(ReviewError):
        services.grant_revoke(grant=grant_of(approved.token), actor=cast.olga)

    assert len(events("personal_access_token.access_revoked", approved.token)) == 1


# --- Who may review, and only once ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "emu_bob", "erin", "gina", "mallory", "uma"])
@pytest.mark.parametrize("approve", [True, False])
def test_non_owner_cannot_review(cast, pending, who, approve):
    # erin owns Big Corp, not acme: reviews belong to organization owners (§5.2).
    with pytest.raises(PermissionDenied):
        review(cast, pending, approve=approve, reviewer=getattr(cast, who))

    assert pending_request(pending.token).status == "pending"
    assert not AuditEvent.objects.filter(
        action__in=["personal_access_token.access_granted", "personal_access_token.request_denied"]
    ).exists()


@pytest.mark.parametrize("who", ["alice", "erin", "gina"])
def test_non_owner_cannot_revoke(cast, approved, who):
    with pytest.raises(PermissionDenied):
        services.grant_revoke(grant=grant_of(approved.token), actor=getattr(cast, who))

    assert grant_of(approved.token).revoked_at is None


@pytest.mark.parametrize(
    ("first", "second"),
    [("approve", "approve"), ("approve", "deny"), ("deny", "approve"), ("deny", "deny"), ("cancel", "approve")],
)
def test_reviewing_a_request_that_is_no_longer_pending_is_refused(cast, pending, first, second):
    request = pending_request(pending.token)
    if first == "cancel":
        services.access_request_cancel(request=request, actor=cast.alice)
    else:
        services.access_request_review(request=request, reviewer=cast.olga, approve=first == "approve")
    audited = AuditEvent.objects.count()

    with pytest.raises(ReviewError):
        services.access_request_review(request=request, reviewer=cast.olga, approve=second == "approve")

    assert AuditEvent.objects.count() == audited


def test_cancelling_a_reviewed_request_is_refused(cast, pending):
    request = review(cast, pending, approve=True)

    with pytest.raises(ReviewError):
        services.access_request_cancel(request=request, actor=cast.alice)


def test_former_owner_cannot_review(cast, pending):
    organization_owner_remove(organization=cast.acme, user=cast.olga)

    with pytest.raises(PermissionDenied):
        review(cast, pending, approve=True)
