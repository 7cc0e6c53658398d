"""Public read (behaviour §4 gate 5): reading a public repository is allowed to every valid
credential, whatever the policies, approval state or resource owner. The credential
itself must still be usable: gate 3 comes before gate 5.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import GrantFactory, classic_token, fine_grained_token, pending_request
from tokens import services

from .helpers import check_token, opt_out, set_enterprise_policy, set_organization_policy


def pending(cast, token):
    pass  # the factory's token for a member is pending review already


def denied(cast, token):
    services.access_request_review(request=pending_request(token), reviewer=cast.olga, approve=False, reason="no")


def grant_revoked(cast, token):
    GrantFactory(token=token, revoked=True)


def request_cancelled(cast, token):
    services.access_request_cancel(request=pending_request(token), actor=cast.alice)


def restricted_by_enterprise(cast, token):
    set_enterprise_policy(cast.bigcorp, fine_grained_access="restrict", classic_access="restrict")


def restricted_by_organization(cast, token):
    set_organization_policy(cast.acme, fine_grained_access="restrict", classic_access="restrict")


def not_opted_in(cast, token):
    opt_out(cast.bigcorp, cast.acme)


STATES = [
    pending,
    denied,
    grant_revoked,
    request_cancelled,
    restricted_by_enterprise,
    restricted_by_organization,
    not_opted_in,
]


@pytest.fixture
def members_token(cast):
    return fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )


@pytest.mark.parametrize("state", STATES, ids=lambda state: state.__name__)
@pytest.mark.parametrize("permission", ["contents:read", "metadata:read", "issues:read", "pull_requests:read"])
def test_fine_grained_token_reads_public_repository_in_every_state(cast, members_token, state, permission):
    state(cast, members_token.token)

    decision = check_token(members_token.plaintext, "acme/docs", permission)

    assert (decision.allowed, decision.reason, decision.policy_source) == (True, "public_read", None)


@pytest.mark.parametrize("state", STATES, ids=lambda state: state.__name__)
def test_the_same_states_block_private_repositories(cast, members_token, state):
    state(cast, members_token.token)

    assert not check_token(members_token.plaintext, "acme/web", "contents:read").allowed


@pytest.mark.parametrize(
    "state", [restricted_by_enterprise, restricted_by_organization], ids=lambda state: state.__name__
)
def test_classic_token_reads_public_repository_when_restricted(cast, state):
    token = classic_token(cast.alice, scopes=["repo"])
    state(cast, token.token)

    assert check_token(token.plaintext, "acme/docs", "contents:read").reason == "public_read"


def test_token_of_another_resource_owner_reads_public_repository(cast):
    token = fine_grained_token(cast.mallory, resource_owner=cast.globex, permissions={"contents": "read"})

    assert check_token(token.plaintext, "acme/docs", "contents:read").reason == "public_read"


def test_classic_token_without_scopes_reads_public_repository(cast):
    token = classic_token(cast.mallory, scopes=[])

    assert check_token(token.plaintext, "acme/docs", "contents:read").reason == "public_read"


def test_public_read_is_read_only(cast, members_token):
    assert check_token(members_token.plaintext, "acme/docs", "contents:write").reason == "user_lacks_access"


def test_public_read_does_not_cover_a_public_repositorys_secrets(cast):
    token = classic_token(cast.mallory, scopes=["repo"])

    assert check_token(token.plaintext, "acme/docs", "secrets:read").reason == "user_lacks_access"
    assert check_token(token.plaintext, "acme/docs", "administration:read").reason == "user_lacks_access"


def test_revoked_token_cannot_read_public_repository(cast, members_token):
    services.token_revoke(token=members_token.token, actor=cast.alice)

    assert check_token(members_token.plaintext, "acme/docs", "contents:read").reason == "token_revoked"


def test_expired_token_cannot_read_public_repository(cast, members_token):
    later = timezone.now() + timedelta(days=31)

    assert check_token(members_token.plaintext, "acme/docs", "contents:read", now=later).reason == "token_expired"


def test_suspended_users_token_cannot_read_public_repository(cast, members_token):
    type(cast.alice).objects.filter(pk=cast.alice.pk).update(is_active=False)

    assert check_token(members_token.plaintext, "acme/docs", "contents:read").reason == "user_inactive"


def test_deleted_token_cannot_read_public_repository(cast, members_token):
    services.token_delete(token=members_token.token, actor=cast.alice)

    assert check_token(members_token.plaintext, "acme/docs", "contents:read").reason == "credential_invalid"


def test_regenerated_tokens_old_secret_cannot_read_public_repository(cast, members_token):
    services.token_regenerate(token=members_token.token, actor=cast.alice)

    assert check_token(members_token.plaintext, "acme/docs", "contents:read").reason == "credential_invalid"


def test_made_up_token_cannot_read_public_repository(cast):
    assert check_token("patrol_fg_" + "a" * 38, "acme/docs", "contents:read").reason == "credential_invalid"
