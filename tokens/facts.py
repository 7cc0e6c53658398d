"""Load the facts for one access check in a fixed, small number of queries.

- gate 1 needs none: a malformed credential is refused before any lookup;
- one query loads the credential with its user and, for a fine-grained token,
  its grant and latest request for its resource-owner organization (the only
  organization whose approval can matter, SPEC §4 gates 11 and 15);
- one query loads the resource with everything about the user's standing
  towards it (ownership through guardian's permission table, membership,
  enterprise membership, the token's repository selection).

So a check costs two queries whatever the data size; `tests/test_facts.py`
asserts it.
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Exists, JSONField, OuterRef, Q, Subquery, Value
from django.db.models.functions import JSONObject

from enterprises.models import Enterprise, EnterprisePermission
from organizations.models import (
    LOGIN_PATTERN,
    REPOSITORY_NAME_PATTERN,
    Membership,
    Organization,
    OrganizationPermission,
    Repository,
    User,
)

from . import credentials
from .catalogue import PERMISSIONS, ResourceKind
from .decision import (
    CLASSIC,
    FINE_GRAINED,
    SSH_KEY,
    CredentialFacts,
    EnterpriseFacts,
    Facts,
    GrantFacts,
    OrganizationFacts,
    RelationFacts,
    RequestFacts,
    ResourceFacts,
)
from .models import AccessRequest, ClassicToken, FineGrainedToken, Grant, SSHKey

RESOURCE_RE = re.compile(
    rf"^(?:(?P<owner>{LOGIN_PATTERN})(?:/(?P<repo>{REPOSITORY_NAME_PATTERN}))?"
    rf"|enterprise:(?P<enterprise>[a-z0-9][a-z0-9-]{{0,38}}))\Z"
)


@dataclass(frozen=True)
class ResourceName:
    text: str
    owner: str | None = None
    repository: str | None = None
    enterprise: str | None = None


def parse_resource(text: str) -> ResourceName:
    """``owner/name``, ``login`` or ``enterprise:<slug>``; ValueError otherwise."""
    match = RESOURCE_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError("Use owner/repository, an owner login, or enterprise:<slug>.")
    return ResourceName(text, match["owner"], match["repo"], match["enterprise"])


# --- Credential ------------------------------------------------------------


def _grant_and_request_annotations():
    grant = Grant.objects.filter(
        token_id=OuterRef("pk"), organization_id=OuterRef("resource_owner_organization_id")
    )
    latest_request = AccessRequest.objects.filter(
        token_id=OuterRef("pk"), organization_id=OuterRef("resource_owner_organization_id")
    ).order_by("-created_at", "-id")
    return {
        "grant_id": Subquery(grant.values("id")[:1]),
        "grant_repository_access": Subquery(grant.values("repository_access")[:1]),
        "grant_repository_ids": Subquery(grant.values("repository_ids")[:1], output_field=JSONField()),
        "grant_permissions": Subquery(grant.values("permissions")[:1], output_field=JSONField()),
        "grant_revoked_at": Subquery(grant.values("revoked_at")[:1]),
        "latest_request": Subquery(
            latest_request.values(data=JSONObject(id="id", status="status", reason="reason"))[:1],
            output_field=JSONField(),
        ),
    }


def load_fine_grained_token(plaintext: str):
    return (
        FineGrainedToken.objects.select_related("user", "resource_owner_organization")
        .annotate(**_grant_and_request_annotations())
        .filter(digest__in=credentials.candidate_digests(plaintext))
        .first()
    )


def load_classic_token(plaintext: str):
    return (
        ClassicToken.objects.select_related("user")
        .filter(digest__in=credentials.candidate_digests(plaintext))
        .first()
    )


def load_ssh_key(fingerprint: str):
    return SSHKey.objects.select_related("user").filter(fingerprint=fingerprint, deleted_at=None).first()


def credential_facts(record) -> CredentialFacts:
    user = record.user
    common = {
        "id": record.pk,
        "user_id": user.pk,
        "username": user.username,
        "user_active": user.is_active,
        "created_at": record.created_at,
    }
    if isinstance(record, SSHKey):
        return CredentialFacts(type=SSH_KEY, **common)
    common.update(expires_at=record.expires_at, revoked_at=record.revoked_at)
    if isinstance(record, ClassicToken):
        return CredentialFacts(type=CLASSIC, scopes=frozenset(record.scopes), **common)
    return CredentialFacts(
        type=FINE_GRAINED,
        resource_owner_organization_id=record.resource_owner_organization_id,
        resource_owner_login=record.resource_owner_login,
        repository_access=record.repository_access,
        permissions=dict(record.permissions),
        **common,
    )


def _grant_facts(token) -> GrantFacts | None:
    if getattr(token, "grant_id", None) is None:
        return None
    return GrantFacts(
        id=token.grant_id,
        repository_access=token.grant_repository_access,
        repository_ids=frozenset(token.grant_repository_ids or ()),
        permissions=dict(token.grant_permissions or {}),
        revoked_at=token.grant_revoked_at,
    )


def _request_facts(token) -> RequestFacts | None:
    data = getattr(token, "latest_request", None)
    if not data:
        return None
    return RequestFacts(id=data["id"], status=data["status"], reason=data["reason"] or "")


# --- Resource --------------------------------------------------------------


def enterprise_facts(enterprise) -> EnterpriseFacts | None:
    if enterprise is None:
        return None
    return EnterpriseFacts(
        slug=enterprise.slug,
        name=enterprise.name,
        fine_grained_opted_in=enterprise.fine_grained_opted_in,
        fine_grained_access=enterprise.fine_grained_access,
        fine_grained_approval=enterprise.fine_grained_approval,
        classic_access=enterprise.classic_access,
        fine_grained_max_lifetime_days=enterprise.fine_grained_max_lifetime_days,
        classic_max_lifetime_days=enterprise.classic_max_lifetime_days,
    )


def organization_facts(organization) -> OrganizationFacts:
    return OrganizationFacts(
        id=organization.pk,
        login=organization.login,
        base_permission=organization.base_permission,
        fine_grained_opted_in=organization.fine_grained_opted_in,
        fine_grained_access=organization.fine_grained_access,
        fine_grained_approval=organization.fine_grained_approval,
        classic_access=organization.classic_access,
        enterprise=enterprise_facts(organization.enterprise),
        fine_grained_max_lifetime_days=organization.fine_grained_max_lifetime_days,
        classic_max_lifetime_days=organization.classic_max_lifetime_days,
    )


def _relation_annotations(user_id: int, organization_ref: str, enterprise_ref: str) -> dict:
    false = Value(False)
    return {
        "is_organization_owner": Exists(
            OrganizationPermission.objects.filter(
                user_id=user_id,
                content_object_id=OuterRef(organization_ref),
                permission__codename="own_organization",
            )
        ),
        "is_organization_member": Exists(
            Membership.objects.filter(user_id=user_id, organization_id=OuterRef(organization_ref))
        ),
        "is_enterprise_member": Exists(
            Membership.objects.filter(user_id=user_id, organization__enterprise_id=OuterRef(enterprise_ref))
        )
        if enterprise_ref
        else false,
    }


def _relation(record, **extra) -> RelationFacts:
    return RelationFacts(
        is_organization_owner=getattr(record, "is_organization_owner", False),
        is_organization_member=getattr(record, "is_organization_member", False),
        is_enterprise_member=getattr(record, "is_enterprise_member", False),
        **extra,
    )


def _load_repository(name: ResourceName, credential: CredentialFacts):
    queryset = (
        Repository.objects.select_related("owner_organization__enterprise")
        .filter(name=name.repository)
        .filter(Q(owner_organization__login=name.owner) | Q(owner_user__username=name.owner))
        .annotate(
            **_relation_annotations(
                credential.user_id, "owner_organization_id", "owner_organization__enterprise_id"
            )
        )
    )
    if credential.type == FINE_GRAINED:
        through = FineGrainedToken.repositories.through
        queryset = queryset.annotate(
            repository_selected=Exists(
                through.objects.filter(finegrainedtoken_id=credential.id, repository_id=OuterRef("pk"))
            )
        )
    repository = queryset.first()
    if repository is None:
        return ResourceFacts(ResourceKind.REPOSITORY, name.text, exists=False), RelationFacts()
    organization = repository.owner_organization
    resource = ResourceFacts(
        kind=ResourceKind.REPOSITORY,
        name=name.text,
        owner_user_id=repository.owner_user_id,
        organization=organization_facts(organization) if organization else None,
        repository_id=repository.pk,
        visibility=repository.visibility,
        enterprise=enterprise_facts(organization.enterprise) if organization else None,
    )
    selected = getattr(repository, "repository_selected", False)
    return resource, _relation(repository, repository_selected=selected)


def _load_organization(name: ResourceName, credential: CredentialFacts):
    organization = (
        Organization.objects.select_related("enterprise")
        .annotate(**_relation_annotations(credential.user_id, "pk", "enterprise_id"))
        .filter(login=name.owner)
        .first()
    )
    if organization is None:
        return ResourceFacts(ResourceKind.ORGANIZATION, name.text, exists=False), RelationFacts()
    facts = organization_facts(organization)
    resource = ResourceFacts(
        kind=ResourceKind.ORGANIZATION, name=name.text, organization=facts, enterprise=facts.enterprise
    )
    return resource, _relation(organization)


def _load_account(name: ResourceName, credential: CredentialFacts):
    user_id = User.objects.filter(username=name.owner).values_list("pk", flat=True).first()
    if user_id is None:
        return ResourceFacts(ResourceKind.ACCOUNT, name.text, exists=False), RelationFacts()
    return ResourceFacts(ResourceKind.ACCOUNT, name.text, owner_user_id=user_id), RelationFacts()


def _load_enterprise(name: ResourceName, credential: CredentialFacts):
    enterprise = (
        Enterprise.objects.annotate(
            is_enterprise_owner=Exists(
                EnterprisePermission.objects.filter(
                    user_id=credential.user_id,
                    content_object_id=OuterRef("pk"),
                    permission__codename="own_enterprise",
                )
            )
        )
        .filter(slug=name.enterprise)
        .first()
    )
    if enterprise is None:
        return ResourceFacts(ResourceKind.ENTERPRISE, name.text, exists=False), RelationFacts()
    resource = ResourceFacts(ResourceKind.ENTERPRISE, name.text, enterprise=enterprise_facts(enterprise))
    return resource, RelationFacts(is_enterprise_owner=enterprise.is_enterprise_owner)


def load_resource(name: ResourceName, permission: str, credential: CredentialFacts):
    """The resource and the credential's standing towards it, in one query.

    A bare login is looked up as the kind of owner the permission is for: an
    account permission names a user, any other an organization.
    """
    if name.enterprise is not None:
        return _load_enterprise(name, credential)
    if name.repository is not None:
        return _load_repository(name, credential)
    if PERMISSIONS[permission].kind == ResourceKind.ACCOUNT:
        return _load_account(name, credential)
    return _load_organization(name, credential)


# --- Together ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckInput:
    resource: ResourceName
    permission: str
    level: str
    token: str | None = None
    ssh_key_fingerprint: str | None = None


def credential_kind(check: CheckInput) -> str | None:
    """FINE_GRAINED, CLASSIC or SSH_KEY if well formed (gate 1), else None. No query."""
    if check.ssh_key_fingerprint is not None:
        return SSH_KEY if credentials.is_ssh_fingerprint(check.ssh_key_fingerprint) else None
    return {
        credentials.TokenKind.FINE_GRAINED: FINE_GRAINED,
        credentials.TokenKind.CLASSIC: CLASSIC,
    }.get(credentials.parse_kind(check.token))


def load_credential(kind: str, check: CheckInput):
    if kind == SSH_KEY:
        return load_ssh_key(check.ssh_key_fingerprint)
    if kind == FINE_GRAINED:
        return load_fine_grained_token(check.token)
    return load_classic_token(check.token)


def load_facts(check: CheckInput, *, now: datetime) -> tuple[Facts, object]:
    """Facts for `decide`, and the credential's row (None when invalid)."""
    unresolved = ResourceFacts(kind=PERMISSIONS[check.permission].kind, name=check.resource.text, exists=False)
    kind = credential_kind(check)
    if kind is None:
        return Facts(None, unresolved, check.permission, check.level, now, credential_malformed=True), None
    record = load_credential(kind, check)
    if record is None:
        return Facts(None, unresolved, check.permission, check.level, now), None
    credential = credential_facts(record)
    resource, relation = load_resource(check.resource, check.permission, credential)
    if credential.type == FINE_GRAINED:
        relation = replace(relation, grant=_grant_facts(record), latest_request=_request_facts(record))
    return Facts(credential, resource, check.permission, check.level, now, relation), record


def load_token(plaintext: str):
    """A personal access token's row by its plaintext; None if malformed (no query) or unknown."""
    kind = credentials.parse_kind(plaintext)
    if kind == credentials.TokenKind.FINE_GRAINED:
        return load_fine_grained_token(plaintext)
    if kind == credentials.TokenKind.CLASSIC:
        return load_classic_token(plaintext)
    return None
