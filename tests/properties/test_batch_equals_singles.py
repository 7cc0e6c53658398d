"""A batch decides exactly as the same checks one by one (behaviour §5.4).

`check_many` loads facts with its own queries (tokens.engine.facts_batch); whatever
mix of credentials, resources and permissions it is given, its decisions must
equal `check` on each. The world: the cast, tokens in every state made through
the services, SSH keys, and credentials that are unknown or malformed.
"""

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from organizations.models import Organization, User
from organizations.services import membership_add
from policies.services import enterprise_policy_update, organization_policy_update
from tests.factories import RepositoryFactory, UserFactory, classic_token, fine_grained_token, grant_of, pending_request
from tokens import services
from tokens.choices import CredentialType
from tokens.engine import access, credentials
from tokens.engine.decision import Reason
from tokens.engine.facts import CheckInput, parse_resource

RESOURCES = [
    "acme/web",
    "acme/docs",
    "acme/handbook",
    "acme/nothing",
    "globex/plans",
    "umbrella/tools",
    "alice/dotfiles",
    "dual/notes",
    "nobody/web",
    "acme",
    "globex",
    "umbrella",
    "alice",
    "mallory",
    "nobody",
    "enterprise:bigcorp",
    "enterprise:othercorp",
    "enterprise:nothing",
]
PERMISSIONS = [
    "metadata:read",
    "contents:read",
    "contents:write",
    "issues:read",
    "secrets:read",
    "administration:admin",
    "members:read",
    "organization_personal_access_tokens:read",
    "organization_administration:admin",
    "keys:write",
    "profile:read",
    "enterprise_administration:admin",
    "audit_log:read",
]


def _broken_checksum(plaintext: str) -> str:
    last = plaintext[-1]
    return plaintext[:-1] + ("a" if last != "a" else "b")


@pytest.fixture
def credentials_pool(cast):
    """(kind, value) pairs: tokens in every state, SSH keys, and invalid credentials."""
    RepositoryFactory(owner_organization=cast.umbrella, name="tools", visibility="private")
    organization_policy_update(organization=cast.umbrella, actor=cast.uma, classic_access="restrict")
    enterprise_policy_update(enterprise=cast.othercorp, actor=cast.oscar, fine_grained_access="restrict")
    # umbrella has not opted in to fine-grained tokens.
    Organization.objects.filter(pk=cast.umbrella.pk).update(fine_grained_opted_in=False)

    approved = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}, approved=True
    )
    pending = fine_grained_token(
        cast.alice,
        resource_owner=cast.acme,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"issues": "read", "members": "read"},
    )
    denied = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "write"}
    )
    services.access_request_review(
        request=pending_request(denied.token), reviewer=cast.olga, approve=False, reason="not now"
    )
    revoked_grant = fine_grained_token(
        cast.emu_bob, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    services.access_request_review(request=pending_request(revoked_grant.token), reviewer=cast.olga, approve=True)
    services.grant_revoke(grant=grant_of(revoked_grant.token), actor=cast.olga)
    owner = fine_grained_token(
        cast.olga,
        resource_owner=cast.acme,
        repository_access="all",
        permissions={"contents": "write", "organization_personal_access_tokens": "read", "members": "read"},
    )
    cancelled = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    services.access_request_cancel(request=pending_request(cancelled.token), actor=cast.alice)
    umbrella = fine_grained_token(
        cast.uma, resource_owner=cast.umbrella, repository_access="all", permissions={"contents": "read"}
    )
    mallory_classic = classic_token(cast.mallory, scopes=["repo", "read:org"])
    suspended = classic_token(cast.gina, scopes=["repo"])
    User.objects.filter(pk=cast.gina.pk).update(is_active=False)
    own = fine_grained_token(cast.alice, repository_access="all", permissions={"contents": "write", "keys": "write"})
    globex = fine_grained_token(
        cast.mallory, resource_owner=cast.globex, repository_access="all", permissions={"contents": "read"}
    )
    classic = classic_token(cast.alice, scopes=["repo", "read:org"])
    uma_classic = classic_token(cast.uma, scopes=["repo", "admin:org"])
    enterprise_owner = classic_token(cast.erin, scopes=["admin:enterprise", "read:audit_log"])
    revoked = classic_token(cast.mallory, scopes=["repo"], revoked=True)
    revoked_fine_grained = fine_grained_token(
        cast.alice, repository_access="all", permissions={"contents": "read"}, revoked=True
    )
    expired = fine_grained_token(cast.alice, repository_access="all", permissions={"contents": "read"}, expired=True)
    services.ssh_key_create(
        user=cast.alice, title="laptop", fingerprint="SHA256:" + "a" * 43, created_by_token=classic.token
    )
    services.ssh_key_create(user=cast.mallory, title="desk", fingerprint="SHA256:" + "m" * 43)
    # Revoked by an enterprise's owners (gate 7): alice's token and key by Big Corp; a member of
    # both tenants' token by both, so a credential's row carries several revocations.
    revoked_in_bigcorp = classic_token(cast.alice, scopes=["repo", "read:org"])
    services.credential_enterprise_revoke(credential=revoked_in_bigcorp.token, enterprise=cast.bigcorp, actor=cast.erin)
    revoked_key = services.ssh_key_create(user=cast.alice, title="old laptop", fingerprint="SHA256:" + "r" * 43)
    services.credential_enterprise_revoke(credential=revoked_key, enterprise=cast.bigcorp, actor=cast.erin)
    dual = UserFactory(username="dual")
    membership_add(organization=cast.acme, user=dual)
    membership_add(organization=cast.globex, user=dual)
    revoked_twice = classic_token(dual, scopes=["repo", "read:org"])
    services.credential_enterprise_revoke(credential=revoked_twice.token, enterprise=cast.bigcorp, actor=cast.erin)
    services.credential_enterprise_revoke(credential=revoked_twice.token, enterprise=cast.othercorp, actor=cast.oscar)
    dual_classic = classic_token(dual, scopes=["repo", "read:org"])
    RepositoryFactory(owner_user=dual, name="notes", visibility="private")
    # globex limits classic tokens to a week once its members' 30-day tokens exist (gate 16).
    Organization.objects.filter(pk=cast.globex.pk).update(classic_max_lifetime_days=7)

    tokens = [
        approved,
        pending,
        denied,
        revoked_grant,
        cancelled,
        umbrella,
        mallory_classic,
        suspended,
        owner,
        own,
        globex,
        classic,
        uma_classic,
        enterprise_owner,
        revoked,
        revoked_fine_grained,
        expired,
        revoked_in_bigcorp,
        revoked_twice,
        dual_classic,
    ]
    return [
        *(("token", issued.plaintext) for issued in tokens),
        ("token", _broken_checksum(approved.plaintext)),
        ("token", credentials.generate(CredentialType.FINE_GRAINED)),  # well formed, unknown
        ("token", credentials.generate(CredentialType.API_CLIENT)),  # not a personal access token
        ("token", "patrol_fg_short"),
        ("token", ""),
        ("ssh_key_fingerprint", "SHA256:" + "a" * 43),
        ("ssh_key_fingerprint", "SHA256:" + "m" * 43),
        ("ssh_key_fingerprint", "SHA256:" + "r" * 43),
        ("ssh_key_fingerprint", "SHA256:" + "z" * 43),  # unknown
        ("ssh_key_fingerprint", "MD5:aa:bb"),  # malformed
    ]


def _check(credential, resource, permission) -> CheckInput:
    kind, value = credential
    name, level = permission.split(":")
    return CheckInput(resource=parse_resource(resource), permission=name, level=level, **{kind: value})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_batch_decides_as_the_checks_one_by_one(credentials_pool, data):
    triples = data.draw(
        st.lists(
            st.tuples(st.sampled_from(credentials_pool), st.sampled_from(RESOURCES), st.sampled_from(PERMISSIONS)),
            min_size=1,
            max_size=40,
        )
    )
    checks = [_check(*triple) for triple in triples]
    now = timezone.now()

    batch = access.check_many(checks, now=now)
    singles = [access.check(one, now=now) for one in checks]

    assert [r.as_dict(explain=True) for r in batch] == [r.as_dict(explain=True) for r in singles]
    assert [r.decision for r in batch] == [r.decision for r in singles]


def test_every_credential_resource_and_permission_decides_alike(credentials_pool):
    """The whole grid once, in batches of 100, so no combination is left to chance."""
    checks = [
        _check(credential, resource, permission)
        for credential in credentials_pool
        for resource in RESOURCES
        for permission in PERMISSIONS
    ]
    now = timezone.now()
    reasons = set()
    for start in range(0, len(checks), 100):
        chunk = checks[start : start + 100]
        batch = access.check_many(chunk, now=now)
        for one, result in zip(chunk, batch, strict=True):
            assert result.as_dict(explain=True) == access.check(one, now=now).as_dict(explain=True), one
            reasons.add(result.decision.reason)
    assert reasons == set(Reason)  # the grid reaches every reason
