"""An enterprise owner's revoke of a classic token or SSH key (behaviour §4 gate 7, issue 16 §6).

Like GitHub's revoke of a credential's SSO authorization: the credential
reaches none of the enterprise's organizations, their repositories or
`enterprise:<slug>`, and keeps its user's own repositories, other tenants and
public reads.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from enterprises.services import enterprise_owner_grant
from organizations.services import membership_add
from tests.factories import RepositoryFactory, UserFactory, classic_token, fine_grained_token, fingerprint_for
from tokens import services
from tokens.engine.decision import Reason
from tokens.models import EnterpriseCredentialRevocation

from .helpers import check_ssh_key, check_token, queries_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(cast):
    """alice's classic token, revoked by Big Corp's owner; alice is also a member of globex (Other Corp)."""
    membership_add(organization=cast.globex, user=cast.alice)
    issued = classic_token(cast.alice, note="laptop", scopes=["repo", "read:org"])
    services.credential_enterprise_revoke(credential=issued.token, enterprise=cast.bigcorp, actor=cast.erin)
    return issued.plaintext


@pytest.fixture
def key(cast):
    fingerprint = fingerprint_for("alice's laptop")
    ssh_key = services.ssh_key_create(user=cast.alice, title="laptop", fingerprint=fingerprint)
    services.credential_enterprise_revoke(credential=ssh_key, enterprise=cast.bigcorp, actor=cast.erin)
    return fingerprint


def test_a_revoked_token_is_refused_on_the_enterprises_repositories(token):
    decision = check_token(token, "acme/web", "contents:read")

    assert not decision.allowed
    assert decision.reason == Reason.ACCESS_REVOKED
    assert decision.policy_source == "enterprise"
    assert decision.message.startswith("Big Corp's owners revoked this token's access to its organizations on ")


def test_a_revoked_token_is_refused_on_the_enterprises_organizations(token):
    assert check_token(token, "acme", "members:read").reason == Reason.ACCESS_REVOKED


def test_a_revoked_token_is_refused_on_the_enterprises_internal_repositories(token):
    assert check_token(token, "acme/handbook", "contents:read").reason == Reason.ACCESS_REVOKED


def test_a_revoked_token_still_reads_the_enterprises_public_repositories(token):
    assert check_token(token, "acme/docs", "contents:read").reason == Reason.PUBLIC_READ


def test_a_revoked_token_keeps_its_users_own_repositories(token):
    assert check_token(token, "alice/dotfiles", "contents:write").allowed


def test_a_revoked_token_keeps_other_tenants(token, cast):
    RepositoryFactory(owner_organization=cast.globex, name="tools", visibility="private")

    assert check_token(token, "globex/tools", "contents:read").allowed


def test_a_revoked_token_is_refused_on_the_enterprise_itself(cast):
    emu_owner = UserFactory(username="emu_owner", managed_by=cast.bigcorp)
    enterprise_owner_grant(enterprise=cast.bigcorp, user=emu_owner)
    issued = classic_token(emu_owner, scopes=["admin:enterprise"])
    assert check_token(issued.plaintext, "enterprise:bigcorp", "enterprise_administration:admin").allowed

    services.credential_enterprise_revoke(credential=issued.token, enterprise=cast.bigcorp, actor=cast.erin)

    decision = check_token(issued.plaintext, "enterprise:bigcorp", "enterprise_administration:admin")
    assert decision.reason == Reason.ACCESS_REVOKED


def test_an_ssh_key_revoked_by_the_enterprise_does_not_pass_gate_seven(key):
    decision = check_ssh_key(key, "acme/web", "contents:read")

    assert decision.reason == Reason.ACCESS_REVOKED
    assert "this SSH key's access" in decision.message


def test_an_ssh_key_revoked_by_the_enterprise_keeps_its_users_own_repositories(key):
    assert check_ssh_key(key, "alice/dotfiles", "contents:write").allowed


def test_a_revoke_costs_a_cold_check_no_extra_query(token):
    decision, count = queries_for(lambda: check_token(token, "acme/web", "contents:read"))

    assert decision.reason == Reason.ACCESS_REVOKED
    assert count <= 3


# --- The service -------------------------------------------------------------


def test_a_revoke_is_recorded_with_who_and_when(token, cast):
    revocation = EnterpriseCredentialRevocation.objects.get()

    assert revocation.enterprise == cast.bigcorp
    assert revocation.revoked_by == cast.erin
    assert revocation.revoked_at is not None


def test_a_revoke_is_in_the_enterprises_audit_log_without_the_note(token, cast):
    event = AuditEvent.objects.get(action="personal_access_token.access_revoked")

    assert event.enterprise == cast.bigcorp
    assert event.actor == cast.erin
    assert event.token_type == "classic"
    assert event.data["scopes"] == ["read:org", "repo"]
    assert "laptop" not in str(event.data)


def test_an_ssh_key_revoke_is_in_the_enterprises_audit_log(key, cast):
    event = AuditEvent.objects.get(action="ssh_key.access_revoked")

    assert (event.enterprise, event.token_type, event.data["fingerprint"]) == (cast.bigcorp, "ssh_key", key)


def test_only_the_enterprises_owners_may_revoke(cast):
    issued = classic_token(cast.alice)

    for actor in (cast.oscar, cast.olga, cast.alice):
        with pytest.raises(PermissionDenied):
            services.credential_enterprise_revoke(credential=issued.token, enterprise=cast.bigcorp, actor=actor)
    assert not EnterpriseCredentialRevocation.objects.exists()


def test_an_owner_cannot_revoke_the_credential_of_someone_outside_the_enterprise(cast):
    issued = classic_token(cast.mallory)

    with pytest.raises(ValidationError):
        services.credential_enterprise_revoke(credential=issued.token, enterprise=cast.bigcorp, actor=cast.erin)


def test_a_fine_grained_token_is_not_revoked_per_enterprise(cast):
    issued = fine_grained_token(cast.alice, resource_owner=cast.acme)

    with pytest.raises(ValidationError):
        services.credential_enterprise_revoke(credential=issued.token, enterprise=cast.bigcorp, actor=cast.erin)


def test_a_second_revoke_is_refused(token, cast):
    revoked = EnterpriseCredentialRevocation.objects.get().classic_token

    with pytest.raises(services.ReviewError):
        services.credential_enterprise_revoke(credential=revoked, enterprise=cast.bigcorp, actor=cast.erin)


def test_a_superuser_still_revokes_a_token_everywhere(cast):
    issued = classic_token(cast.alice)
    services.token_revoke(token=issued.token, actor=UserFactory(username="root", is_superuser=True))

    assert check_token(issued.plaintext, "alice/dotfiles", "contents:read").reason == Reason.TOKEN_REVOKED
