"""SSH keys, including keys created by tokens of either type, keep working under
every token policy (behaviour §4 gate 7, §5.2). They act with their user's access.
"""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import GrantFactory, classic_token, fine_grained_token, fingerprint_for, pending_request
from tokens import services

from .helpers import check_ssh_key, opt_out, set_enterprise_policy, set_organization_policy


def restrict_fine_grained_by_enterprise(cast, token):
    set_enterprise_policy(cast.bigcorp, fine_grained_access="restrict")


def restrict_classic_by_enterprise(cast, token):
    set_enterprise_policy(cast.bigcorp, classic_access="restrict")


def restrict_both_by_organization(cast, token):
    set_organization_policy(cast.acme, fine_grained_access="restrict", classic_access="restrict")


def require_approval_by_enterprise(cast, token):
    set_enterprise_policy(cast.bigcorp, fine_grained_approval="require")


def opt_everyone_out(cast, token):
    opt_out(cast.bigcorp, cast.acme)


def revoke_the_grant(cast, token):
    # The creating token's request is approved, then an owner revokes its access.
    if token.TOKEN_TYPE == "fine_grained":
        GrantFactory(token=token, revoked=True)


def deny_the_request(cast, token):
    if token.TOKEN_TYPE == "fine_grained":
        services.access_request_review(request=pending_request(token), reviewer=cast.olga, approve=False)


def revoke_the_token(cast, token):
    services.token_revoke(token=token, actor=cast.alice)


def delete_the_token(cast, token):
    services.token_delete(token=token, actor=cast.alice)


def everything_at_once(cast, token):
    revoke_the_grant(cast, token)
    set_enterprise_policy(cast.bigcorp, fine_grained_access="restrict", classic_access="restrict")
    restrict_both_by_organization(cast, token)
    opt_everyone_out(cast, token)
    revoke_the_token(cast, token)


RESTRICTIONS = [
    restrict_fine_grained_by_enterprise,
    restrict_classic_by_enterprise,
    restrict_both_by_organization,
    require_approval_by_enterprise,
    opt_everyone_out,
    revoke_the_grant,
    deny_the_request,
    revoke_the_token,
    delete_the_token,
    everything_at_once,
]


@pytest.fixture(params=["fine_grained", "classic"])
def key_made_by_token(request, cast):
    """alice's SSH key, registered by one of her tokens (a pending one, for fine-grained)."""
    if request.param == "fine_grained":
        token = fine_grained_token(
            cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
        ).token
    else:
        token = classic_token(cast.alice, scopes=["repo", "admin:public_key"]).token
    key = services.ssh_key_create(
        user=cast.alice, title="laptop", fingerprint=fingerprint_for(request.param), created_by_token=token
    )
    return key, token


@pytest.mark.parametrize("restriction", RESTRICTIONS, ids=lambda restriction: restriction.__name__)
@pytest.mark.parametrize("resource", ["acme/web", "acme/handbook"])
def test_key_created_by_a_token_keeps_working(cast, key_made_by_token, restriction, resource):
    key, token = key_made_by_token

    restriction(cast, token)
    decision = check_ssh_key(key.fingerprint, resource, "contents:read")

    assert (decision.allowed, decision.reason) == (True, "allowed")
    assert {gate.number: gate.result for gate in decision.gates}[7] == "allow"


def test_key_records_the_token_that_created_it(cast, key_made_by_token):
    key, token = key_made_by_token

    assert key.created_by_token == token


def test_key_keeps_its_users_ceiling(cast, key_made_by_token):
    key, _ = key_made_by_token

    decision = check_ssh_key(key.fingerprint, "acme/web", "contents:write")

    assert decision.reason == "user_lacks_access"  # alice is a member with base permission read


def test_outsiders_key_cannot_reach_private_repositories(cast):
    key = services.ssh_key_create(user=cast.mallory, title="mallory", fingerprint=fingerprint_for("mallory"))

    assert check_ssh_key(key.fingerprint, "acme/web", "contents:read").reason == "user_lacks_access"
    assert check_ssh_key(key.fingerprint, "acme/docs", "contents:read").reason == "public_read"


def test_deleted_key_is_an_invalid_credential(cast, key_made_by_token):
    key, _ = key_made_by_token
    type(key).objects.filter(pk=key.pk).update(deleted_at=timezone.now())

    assert check_ssh_key(key.fingerprint, "acme/web", "contents:read").reason == "credential_invalid"


def test_unknown_key_is_an_invalid_credential(cast):
    assert check_ssh_key(fingerprint_for("nobody"), "acme/docs", "contents:read").reason == "credential_invalid"


def test_suspended_users_key_stops_working(cast, key_made_by_token):
    key, _ = key_made_by_token
    type(cast.alice).objects.filter(pk=cast.alice.pk).update(is_active=False)

    assert check_ssh_key(key.fingerprint, "acme/web", "contents:read").reason == "user_inactive"


def test_key_cannot_be_registered_by_another_users_token(cast):
    token = classic_token(cast.mallory, scopes=["admin:public_key"]).token

    with pytest.raises(ValidationError):
        services.ssh_key_create(user=cast.alice, title="x", fingerprint=fingerprint_for("x"), created_by_token=token)
