"""Issuing and editing fine-grained tokens (behaviour §3 approval, §8 audit): a token for an
organization opens a pending request or gets a grant at once; editing it to ask for
more opens a new request while the old grant keeps working for what it covered.
"""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from tests.factories import RepositoryFactory, classic_token, fine_grained_token, grant_of, pending_request
from tests.tokens.engine.helpers import (
    check_token,
    events,
    set_enterprise_policy,
    set_organization_policy,
    token_actions,
)
from tokens import services
from tokens.models import AccessRequest, Grant


def acme_token(user, cast, **kwargs):
    kwargs.setdefault("repository_access", "all")
    kwargs.setdefault("permissions", {"contents": "read"})
    return fine_grained_token(user, resource_owner=cast.acme, **kwargs)


def approve(cast, token):
    return services.access_request_review(request=pending_request(token), reviewer=cast.olga, approve=True)


# --- Creating ---------------------------------------------------------------------


def test_members_token_opens_a_pending_request(cast):
    issued = acme_token(cast.alice, cast, justification="deploys")

    request = pending_request(issued.token)
    assert (request.organization, request.justification) == (cast.acme, "deploys")
    assert (request.repository_access, request.repository_ids, request.permissions) == ("all", [], {"contents": "read"})
    assert not Grant.objects.filter(token=issued.token).exists()
    assert token_actions(issued.token) == ["personal_access_token.created", "personal_access_token.request_created"]


def test_pending_request_snapshot_lists_the_selected_repositories(cast):
    issued = acme_token(cast.alice, cast, repository_access="selected", repositories=[cast.web, cast.handbook])

    request = pending_request(issued.token)
    assert request.repository_ids == sorted([cast.web.pk, cast.handbook.pk])
    assert events("personal_access_token.request_created", issued.token)[0].data["request_id"] == request.pk


def test_owners_token_is_auto_approved(cast):
    issued = acme_token(cast.olga, cast)

    grant = grant_of(issued.token)
    assert (grant.auto_approved, grant.request) == (True, None)
    assert not AccessRequest.objects.filter(token=issued.token).exists()
    assert events("personal_access_token.access_granted", issued.token)[0].data["auto_approved"] is True
    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "allowed"


@pytest.mark.parametrize(
    ("enterprise_approval", "organization_approval"),
    [("org_configurable", "not_required"), ("disabled", "require"), ("disabled", "not_required")],
)
def test_token_is_granted_at_once_where_approval_is_not_required(cast, enterprise_approval, organization_approval):
    set_organization_policy(cast.acme, fine_grained_approval=organization_approval)
    set_enterprise_policy(cast.bigcorp, fine_grained_approval=enterprise_approval)

    issued = acme_token(cast.alice, cast)

    grant = grant_of(issued.token)
    assert grant.auto_approved is True
    assert (grant.repository_access, grant.permissions) == ("all", {"contents": "read"})
    assert not AccessRequest.objects.filter(token=issued.token).exists()
    assert token_actions(issued.token) == ["personal_access_token.created", "personal_access_token.access_granted"]
    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "allowed"


def test_enterprise_require_overrides_the_organizations_not_required(cast):
    set_organization_policy(cast.acme, fine_grained_approval="not_required")
    set_enterprise_policy(cast.bigcorp, fine_grained_approval="require")

    issued = acme_token(cast.alice, cast)

    assert pending_request(issued.token)
    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "approval_pending"


def test_owner_is_auto_approved_where_the_enterprise_requires_approval(cast):
    set_enterprise_policy(cast.bigcorp, fine_grained_approval="require")

    issued = acme_token(cast.olga, cast)

    assert grant_of(issued.token).auto_approved is True


def test_token_may_target_an_organization_whose_policy_blocks_it_today(cast):
    # Policies are judged when a token is used, not when it is made (§2).
    set_organization_policy(cast.acme, fine_grained_access="restrict")

    issued = acme_token(cast.alice, cast)

    assert pending_request(issued.token)
    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "fine_grained_restricted"


def test_token_for_an_organization_the_user_is_not_a_member_of_is_refused(cast):
    with pytest.raises(ValidationError) as error:
        acme_token(cast.mallory, cast)

    assert "resource_owner" in error.value.message_dict


def test_token_may_select_only_the_resource_owners_repositories(cast):
    with pytest.raises(ValidationError) as error:
        acme_token(cast.alice, cast, repository_access="selected", repositories=[cast.dotfiles])

    assert "repositories" in error.value.message_dict


def test_user_owned_token_cannot_ask_for_organization_permissions(cast):
    with pytest.raises(ValidationError) as error:
        fine_grained_token(cast.alice, permissions={"members": "read"})

    assert "permissions" in error.value.message_dict


def test_classic_token_is_audited_without_its_secret(cast):
    issued = classic_token(cast.alice, scopes=["repo", "read:org"])

    (event,) = events("personal_access_token.created", issued.token)
    assert event.data == {"note": "a classic token", "token_type": "classic", "scopes": ["read:org", "repo"]}
    assert issued.plaintext not in str(event.data)


# --- Editing ----------------------------------------------------------------------------


@pytest.fixture
def approved_token(cast):
    """alice's token for acme with contents:read on web, approved by olga."""
    issued = acme_token(cast.alice, cast, repository_access="selected", repositories=[cast.web])
    approve(cast, issued.token)
    return issued


def test_asking_for_a_new_permission_opens_a_request_and_keeps_the_old_grant(cast, approved_token):
    services.fine_grained_token_update(
        token=approved_token.token,
        actor=cast.alice,
        permissions={"contents": "read", "issues": "write"},
        justification="triage",
    )

    request = pending_request(approved_token.token)
    assert (request.permissions, request.justification) == ({"contents": "read", "issues": "write"}, "triage")
    assert check_token(approved_token.plaintext, "acme/web", "contents:read").reason == "allowed"
    decision = check_token(approved_token.plaintext, "acme/web", "issues:read")
    assert (decision.reason, decision.request_id) == ("approval_pending", request.pk)


def test_asking_for_a_higher_level_opens_a_request(cast, approved_token):
    type(cast.acme).objects.filter(pk=cast.acme.pk).update(base_permission="write")

    services.fine_grained_token_update(token=approved_token.token, actor=cast.alice, permissions={"contents": "write"})

    assert pending_request(approved_token.token).permissions == {"contents": "write"}
    assert check_token(approved_token.plaintext, "acme/web", "contents:read").reason == "allowed"
    assert check_token(approved_token.plaintext, "acme/web", "contents:write").reason == "approval_pending"


def test_asking_for_more_repositories_opens_a_request(cast, approved_token):
    services.fine_grained_token_update(
        token=approved_token.token, actor=cast.alice, repositories=[cast.web, cast.handbook]
    )

    assert pending_request(approved_token.token).repository_ids == sorted([cast.web.pk, cast.handbook.pk])
    assert check_token(approved_token.plaintext, "acme/web", "contents:read").reason == "allowed"
    assert check_token(approved_token.plaintext, "acme/handbook", "contents:read").reason == "approval_pending"


def test_asking_for_all_repositories_opens_a_request(cast, approved_token):
    services.fine_grained_token_update(token=approved_token.token, actor=cast.alice, repository_access="all")

    assert pending_request(approved_token.token).repository_access == "all"
    assert check_token(approved_token.plaintext, "acme/web", "contents:read").reason == "allowed"
    assert check_token(approved_token.plaintext, "acme/handbook", "contents:read").reason == "approval_pending"


def test_approving_the_new_request_widens_the_grant_in_place(cast, approved_token):
    grant_id = grant_of(approved_token.token).pk
    services.fine_grained_token_update(
        token=approved_token.token, actor=cast.alice, permissions={"contents": "read", "issues": "write"}
    )

    approve(cast, approved_token.token)

    assert grant_of(approved_token.token).pk == grant_id
    assert check_token(approved_token.plaintext, "acme/web", "issues:read").reason == "allowed"


def test_asking_for_less_opens_no_request(cast):
    issued = acme_token(
        cast.alice,
        cast,
        repository_access="selected",
        repositories=[cast.web, cast.handbook],
        permissions={"contents": "read", "issues": "read"},
    )
    approve(cast, issued.token)

    services.fine_grained_token_update(
        token=issued.token, actor=cast.alice, repositories=[cast.web], permissions={"contents": "read"}
    )

    assert not AccessRequest.objects.filter(token=issued.token, status="pending").exists()
    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "allowed"
    assert check_token(issued.plaintext, "acme/handbook", "contents:read").reason == "repository_not_selected"


def test_renaming_opens_no_request(cast, approved_token):
    services.fine_grained_token_update(token=approved_token.token, actor=cast.alice, name="renamed")

    assert not AccessRequest.objects.filter(token=approved_token.token, status="pending").exists()
    assert token_actions(approved_token.token)[-1] == "personal_access_token.updated"


def test_asking_again_supersedes_the_pending_request(cast):
    issued = acme_token(cast.alice, cast)
    first = pending_request(issued.token)

    services.fine_grained_token_update(
        token=issued.token, actor=cast.alice, permissions={"contents": "read", "issues": "read"}
    )

    first.refresh_from_db()
    assert first.status == "cancelled"
    assert pending_request(issued.token).pk != first.pk
    (cancelled,) = events("personal_access_token.request_cancelled", issued.token)
    assert cancelled.data == {"request_id": first.pk, "why": "superseded"}


def test_narrowing_from_selected_to_public_is_allowed(cast, approved_token):
    services.fine_grained_token_update(token=approved_token.token, actor=cast.alice, repository_access="public")

    approved_token.token.refresh_from_db()
    assert approved_token.token.repository_access == "public"
    assert not approved_token.token.repositories.exists()


def test_where_approval_is_not_required_editing_widens_the_grant_at_once(cast):
    set_organization_policy(cast.acme, fine_grained_approval="not_required")
    issued = acme_token(cast.alice, cast)

    services.fine_grained_token_update(
        token=issued.token, actor=cast.alice, permissions={"contents": "read", "issues": "read"}
    )

    assert grant_of(issued.token).permissions == {"contents": "read", "issues": "read"}
    assert check_token(issued.plaintext, "acme/web", "issues:read").reason == "allowed"


def test_existing_grants_stay_valid_when_approval_becomes_required(cast):
    set_organization_policy(cast.acme, fine_grained_approval="not_required")
    issued = acme_token(cast.alice, cast)

    set_enterprise_policy(cast.bigcorp, fine_grained_approval="require")

    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "allowed"
    services.fine_grained_token_update(
        token=issued.token, actor=cast.alice, permissions={"contents": "read", "issues": "read"}
    )
    assert check_token(issued.plaintext, "acme/web", "contents:read").reason == "allowed"
    assert check_token(issued.plaintext, "acme/web", "issues:read").reason == "approval_pending"


def test_editing_after_access_was_revoked_asks_for_nothing(cast, approved_token):
    # A revoked grant is final for the token and organization: "create a new token to ask again".
    services.grant_revoke(grant=grant_of(approved_token.token), actor=cast.olga)

    services.fine_grained_token_update(
        token=approved_token.token, actor=cast.alice, permissions={"contents": "read", "issues": "read"}
    )

    assert not AccessRequest.objects.filter(token=approved_token.token, status="pending").exists()
    assert check_token(approved_token.plaintext, "acme/web", "contents:read").reason == "access_revoked"


# --- Regenerating, revoking, deleting ------------------------------------------------------


def test_regenerating_keeps_the_grant_and_retires_the_old_secret(cast, approved_token):
    new = services.token_regenerate(token=approved_token.token, actor=cast.alice)

    assert check_token(new.plaintext, "acme/web", "contents:read").reason == "allowed"
    assert check_token(approved_token.plaintext, "acme/web", "contents:read").reason == "credential_invalid"
    assert token_actions(approved_token.token)[-1] == "personal_access_token.regenerated"


def test_revoking_the_token_stops_it_everywhere(cast, approved_token):
    services.token_revoke(token=approved_token.token, actor=cast.alice)

    assert check_token(approved_token.plaintext, "acme/web", "contents:read").reason == "token_revoked"
    assert check_token(approved_token.plaintext, "acme/docs", "contents:read").reason == "token_revoked"


def test_deleting_the_token_is_audited_and_forgets_it(cast, approved_token):
    token_id = approved_token.token.pk
    services.token_delete(token=approved_token.token, actor=cast.alice)

    assert check_token(approved_token.plaintext, "acme/web", "contents:read").reason == "credential_invalid"
    assert not Grant.objects.filter(token_id=token_id).exists()
    assert AuditEvent.objects.filter(action="personal_access_token.deleted", token_id=token_id).exists()


def test_fiftieth_token_is_the_last(cast):
    for number in range(50):
        fine_grained_token(cast.alice, name=f"t{number}")

    with pytest.raises(ValidationError):
        fine_grained_token(cast.alice, name="one too many")


def test_repository_of_another_organization_cannot_be_selected_on_edit(cast, approved_token):
    other = RepositoryFactory(owner_organization=cast.globex, name="other")

    with pytest.raises(ValidationError):
        services.fine_grained_token_update(token=approved_token.token, actor=cast.alice, repositories=[other])

    assert list(approved_token.token.repositories.all()) == [cast.web]


# --- A pending request outlived by a newer revision ------------------------------------------


def test_editing_back_within_the_grant_withdraws_the_pending_request(cast, approved_token):
    services.fine_grained_token_update(
        token=approved_token.token, actor=cast.alice, permissions={"contents": "read", "issues": "write"}
    )
    stale = pending_request(approved_token.token)

    services.fine_grained_token_update(token=approved_token.token, actor=cast.alice, permissions={"contents": "read"})

    stale.refresh_from_db()
    assert stale.status == "cancelled"
    assert events("personal_access_token.request_cancelled", approved_token.token)[-1].data["why"] == "superseded"


def test_granting_at_once_withdraws_a_request_left_from_when_approval_was_required(cast):
    # Otherwise an owner could still approve the old revision and overwrite the newer grant with it.
    issued = acme_token(cast.alice, cast)
    stale = pending_request(issued.token)
    set_organization_policy(cast.acme, fine_grained_approval="not_required")

    services.fine_grained_token_update(
        token=issued.token, actor=cast.alice, permissions={"contents": "read", "issues": "read"}
    )

    stale.refresh_from_db()
    assert stale.status == "cancelled"
    assert grant_of(issued.token).permissions == {"contents": "read", "issues": "read"}
    with pytest.raises(services.ReviewError):
        services.access_request_review(request=stale, reviewer=cast.olga, approve=True)
