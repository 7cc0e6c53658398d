"""Plain `Facts` for the pure decision tests (behaviour §4): no database, no clock.

The world mirrors the cast: Big Corp owns acme; umbrella is standalone; alice
is a member of acme, olga its owner, erin owns Big Corp.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tokens.choices import CredentialType
from tokens.engine.catalogue import ResourceKind
from tokens.engine.decision import (
    CredentialFacts,
    EnterpriseFacts,
    Facts,
    GrantFacts,
    OrganizationFacts,
    RelationFacts,
    RequestFacts,
    ResourceFacts,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ALICE_ID, BOB_ID = 10, 11

BIGCORP = EnterpriseFacts(
    slug="bigcorp",
    name="Big Corp",
    fine_grained_opted_in=True,
    fine_grained_access="org_configurable",
    fine_grained_approval="org_configurable",
    classic_access="org_configurable",
)
ACME = OrganizationFacts(
    id=1,
    login="acme",
    base_permission="read",
    fine_grained_opted_in=True,
    fine_grained_access="allow",
    fine_grained_approval="require",
    classic_access="allow",
    enterprise=BIGCORP,
)
UMBRELLA = OrganizationFacts(
    id=2,
    login="umbrella",
    base_permission="read",
    fine_grained_opted_in=True,
    fine_grained_access="allow",
    fine_grained_approval="require",
    classic_access="allow",
)

TOKEN_PERMISSIONS = {"contents": "write", "issues": "read", "members": "read"}


def enterprise(**changes) -> EnterpriseFacts:
    return replace(BIGCORP, **changes)


def acme(enterprise=BIGCORP, **changes) -> OrganizationFacts:
    return replace(ACME, enterprise=enterprise, **changes)


def umbrella(**changes) -> OrganizationFacts:
    return replace(UMBRELLA, **changes)


# --- Credentials -------------------------------------------------------------


def fine_grained(**changes) -> CredentialFacts:
    """alice's token for acme: all repositories, contents:write, issues:read, members:read."""
    values = {
        "type": CredentialType.FINE_GRAINED,
        "id": 1,
        "user_id": ALICE_ID,
        "username": "alice",
        "user_active": True,
        "issued_at": NOW - timedelta(days=1),
        "expires_at": NOW + timedelta(days=29),
        "resource_owner_organization_id": ACME.id,
        "resource_owner_login": "acme",
        "repository_access": "all",
        "permissions": TOKEN_PERMISSIONS,
    }
    return CredentialFacts(**{**values, **changes})


def own_fine_grained(**changes) -> CredentialFacts:
    """alice's token whose resource owner is alice herself."""
    return fine_grained(resource_owner_organization_id=None, resource_owner_login="alice", **changes)


def classic(scopes=("repo", "read:org"), **changes) -> CredentialFacts:
    values = {
        "type": CredentialType.CLASSIC,
        "id": 2,
        "user_id": ALICE_ID,
        "username": "alice",
        "user_active": True,
        "issued_at": NOW - timedelta(days=1),
        "expires_at": NOW + timedelta(days=29),
        "scopes": frozenset(scopes),
    }
    return CredentialFacts(**{**values, **changes})


def ssh_key(**changes) -> CredentialFacts:
    values = {"type": CredentialType.SSH_KEY, "id": 3, "user_id": ALICE_ID, "username": "alice", "user_active": True}
    return CredentialFacts(**{**values, **changes})


# --- Resources ----------------------------------------------------------------


def repository(name="acme/web", *, visibility="private", organization=ACME, owner_user_id=None, repository_id=100):
    return ResourceFacts(
        kind=ResourceKind.REPOSITORY,
        name=name,
        owner_user_id=owner_user_id,
        organization=organization,
        repository_id=repository_id,
        visibility=visibility,
        enterprise=organization.enterprise if organization else None,
    )


def user_repository(name="alice/dotfiles", *, owner_user_id=ALICE_ID, visibility="private"):
    return repository(name, visibility=visibility, organization=None, owner_user_id=owner_user_id, repository_id=200)


def organization_resource(organization=ACME):
    return ResourceFacts(
        kind=ResourceKind.ORGANIZATION,
        name=organization.login,
        organization=organization,
        enterprise=organization.enterprise,
    )


def account(login="alice", owner_user_id=ALICE_ID):
    return ResourceFacts(kind=ResourceKind.ACCOUNT, name=login, owner_user_id=owner_user_id)


def enterprise_resource(enterprise=BIGCORP):
    return ResourceFacts(kind=ResourceKind.ENTERPRISE, name=f"enterprise:{enterprise.slug}", enterprise=enterprise)


WEB = repository()
DOCS = repository("acme/docs", visibility="public", repository_id=101)
HANDBOOK = repository("acme/handbook", visibility="internal", repository_id=102)
MISSING = ResourceFacts(kind=ResourceKind.REPOSITORY, name="acme/nothing", exists=False)

# --- Relations ----------------------------------------------------------------


def grant(**changes) -> GrantFacts:
    values = {
        "id": 7,
        "repository_access": "all",
        "repository_ids": frozenset(),
        "permissions": TOKEN_PERMISSIONS,
    }
    return GrantFacts(**{**values, **changes})


def request(status="pending", reason="", id=12) -> RequestFacts:
    return RequestFacts(id=id, status=status, reason=reason)


OUTSIDER = RelationFacts()
MEMBER = RelationFacts(is_organization_member=True, is_enterprise_member=True)
MEMBER_WITH_GRANT = replace(MEMBER, grant=grant())
OWNER = RelationFacts(is_organization_owner=True, is_organization_member=True, is_enterprise_member=True)
ENTERPRISE_MEMBER = RelationFacts(is_enterprise_member=True)  # of another organization of Big Corp
ENTERPRISE_OWNER = RelationFacts(is_enterprise_owner=True)


def member(**changes) -> RelationFacts:
    return replace(MEMBER, **changes)


def owner(**changes) -> RelationFacts:
    return replace(OWNER, **changes)


# --- Facts ----------------------------------------------------------------------


def facts(credential, resource=WEB, permission="contents:read", relation=MEMBER_WITH_GRANT, **changes) -> Facts:
    name, level = permission.split(":")
    return Facts(credential, resource, name, level, NOW, relation, **changes)


def malformed(resource=WEB, permission="contents:read") -> Facts:
    """What the loader builds for a credential gate 1 refuses: nothing was looked up."""
    unresolved = ResourceFacts(kind=resource.kind, name=resource.name, exists=False)
    return facts(None, unresolved, permission, OUTSIDER, credential_malformed=True)


def unknown(resource=WEB, permission="contents:read") -> Facts:
    unresolved = ResourceFacts(kind=resource.kind, name=resource.name, exists=False)
    return facts(None, unresolved, permission, OUTSIDER)
