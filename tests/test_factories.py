"""The factories create through the services, and their traits move rows on as owners would."""

from audit.models import AuditEvent
from tests.factories import (
    AccessRequestFactory,
    ApiClientFactory,
    ClassicTokenFactory,
    FineGrainedTokenFactory,
    GrantFactory,
    SSHKeyFactory,
)
from tokens.engine import credentials
from tokens.models import AccessRequest, Grant


def test_a_fine_grained_token_carries_its_plaintext(cast):
    token = FineGrainedTokenFactory(user=cast.alice)
    assert credentials.digest(token.plaintext).value == token.digest
    assert AuditEvent.objects.filter(action="personal_access_token.created", token_id=token.pk).exists()


def test_a_members_token_for_acme_is_pending(cast):
    token = FineGrainedTokenFactory(user=cast.alice, resource_owner=cast.acme, pending=True)
    assert AccessRequest.objects.get(token=token).status == "pending"
    assert not Grant.objects.filter(token=token).exists()


def test_an_approved_token_has_its_grant(cast):
    token = FineGrainedTokenFactory(user=cast.alice, resource_owner=cast.acme, approved=True)
    assert AccessRequest.objects.get(token=token).reviewed_by == cast.olga
    assert Grant.objects.get(token=token).revoked_at is None


def test_a_denied_token_has_no_grant(cast):
    token = FineGrainedTokenFactory(user=cast.alice, resource_owner=cast.acme, denied=True)
    assert AccessRequest.objects.get(token=token).status == "denied"
    assert not Grant.objects.filter(token=token).exists()


def test_expired_and_revoked_tokens(cast):
    expired = FineGrainedTokenFactory(user=cast.alice, expired=True)
    revoked = ClassicTokenFactory(user=cast.alice, revoked=True)
    expired.refresh_from_db()
    revoked.refresh_from_db()
    assert expired.is_expired()
    assert revoked.revoked_at is not None


def test_a_classic_token_carries_its_plaintext(cast):
    token = ClassicTokenFactory(user=cast.alice, scopes=["repo"])
    assert token.plaintext.startswith("patrol_cl_")
    assert token.scopes == ["repo"]


def test_access_request_traits(cast):
    assert AccessRequestFactory(user=cast.alice, organization=cast.acme).status == "pending"
    assert AccessRequestFactory(user=cast.alice, organization=cast.acme, approved=True).status == "approved"
    assert AccessRequestFactory(user=cast.emu_bob, organization=cast.acme, denied=True).status == "denied"


def test_a_grant_after_approval_and_its_revocation(cast):
    grant = GrantFactory(user=cast.alice, organization=cast.acme)
    assert grant.request.reviewed_by == cast.olga
    revoked = GrantFactory(user=cast.alice, organization=cast.acme, revoked=True)
    assert revoked.revoked_by == cast.olga


def test_an_owners_grant_is_automatic(cast):
    assert GrantFactory(user=cast.olga, organization=cast.acme).auto_approved


def test_api_client_traits(cast):
    site_wide = ApiClientFactory()
    scoped = ApiClientFactory(enterprise_scoped=True)
    revoked = ApiClientFactory(enterprise=cast.bigcorp, revoked=True)
    assert site_wide.enterprise is None and site_wide.plaintext
    assert scoped.enterprise is not None
    revoked.refresh_from_db()
    assert revoked.revoked_at is not None and revoked.enterprise == cast.bigcorp


def test_an_ssh_key_through_the_service(cast):
    token = FineGrainedTokenFactory(user=cast.alice)
    key = SSHKeyFactory(user=cast.alice, created_by_token=token)
    assert key.fingerprint.startswith("SHA256:")
    assert key.created_by_fine_grained_token == token
