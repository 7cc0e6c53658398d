"""Load the facts for one access check in a fixed, small number of queries.

- gate 1 needs none: a malformed credential is refused before any lookup;
- one query loads the credential with its user and, for a fine-grained token,
  its grant and latest request for its resource-owner organization (the only
  organization whose approval can matter, SPEC §4 gates 11 and 15); for a
  classic token or SSH key, the enterprises whose owners revoked it (gate 7);
- one query loads the resource with everything about the user's standing
  towards it (ownership through guardian's permission table, membership,
  enterprise membership, the token's repository selection).

So a check costs two queries whatever the data size; tests/speed/
test_query_counts.py asserts it. Both queries are `PreparedQuery`s: compiled
once, then run with new parameters, because compiling them would cost more
than running them.
"""

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.db.models import Aggregate, Exists, F, FilteredRelation, JSONField, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

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
from policies.models import POLICY_FIELDS

from ..choices import CredentialType
from ..models import AccessRequest, ClassicToken, EnterpriseCredentialRevocation, FineGrainedToken, SSHKey
from . import credentials
from .catalogue import PERMISSIONS, ResourceKind
from .decision import (
    CredentialFacts,
    EnterpriseFacts,
    Facts,
    GrantFacts,
    OrganizationFacts,
    RelationFacts,
    RequestFacts,
    ResourceFacts,
)
from .prepared import PreparedQuery

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


# As many names as the facts cache holds checks (each names one): a
# least-recently-used cache smaller than the set of names a gateway cycles
# through misses on every one of them. At 4,096 the large benchmark world's
# 10,628 repositories were each parsed again on every check, and the new names
# kept the garbage collector busy. ~20 MB at the default 50,000.
@lru_cache(maxsize=settings.PATROL_FACTS_CACHE_ENTRIES)
def parse_resource(text: str) -> ResourceName:
    """``owner/name``, ``login`` or ``enterprise:<slug>``; ValueError otherwise.

    Remembered: gateways ask about the same repositories over and over, and a
    `ResourceName` is immutable. (A refused text raises again; only names are kept.)
    """
    match = RESOURCE_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError("Use owner/repository, an owner login, or enterprise:<slug>.")
    return ResourceName(text, match["owner"], match["repo"], match["enterprise"])


# --- Facts from rows ----------------------------------------------------------
#
# Queries select these fields with `values_list`; the same readers turn a row
# (or a model instance, read attribute by attribute) into facts, so the single
# check, the batch and the pages build facts one way.

ENTERPRISE_FIELDS = ("slug", "name", "fine_grained_opted_in", *POLICY_FIELDS)
ORGANIZATION_FIELDS = ("id", "login", "base_permission", "fine_grained_opted_in", *POLICY_FIELDS)
USER_FIELDS = ("id", "user_id", "user__username", "user__is_active")
CLASSIC_FIELDS = (
    *USER_FIELDS,
    "issued_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
    "scopes",
    "revoked_in_enterprises",
)
FINE_GRAINED_FIELDS = (
    *USER_FIELDS,
    "issued_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
    "resource_owner_organization_id",
    "resource_owner_organization__login",
    "repository_access",
    "permissions",
    "grant_id",
    "grant_repository_access",
    "grant_repository_ids",
    "grant_permissions",
    "grant_revoked_at",
    "latest_request",
)
SSH_KEY_FIELDS = (*USER_FIELDS, "created_at", "revoked_in_enterprises")
FIELDS = {
    CredentialType.FINE_GRAINED: FINE_GRAINED_FIELDS,
    CredentialType.CLASSIC: CLASSIC_FIELDS,
    CredentialType.SSH_KEY: SSH_KEY_FIELDS,
}
# What a personal access token's plaintext can be (an API client's secret is not one).
PERSONAL_TOKEN_TYPES = frozenset({CredentialType.FINE_GRAINED, CredentialType.CLASSIC})
MODELS = {model.TOKEN_TYPE: model for model in (FineGrainedToken, ClassicToken, SSHKey)}


def prefixed(fields, prefix):
    return tuple(prefix + field for field in fields)


def enterprise_from_row(row: dict, prefix: str = "") -> EnterpriseFacts | None:
    if row.get(prefix + "slug") is None:
        return None
    return EnterpriseFacts(**{field: row[prefix + field] for field in ENTERPRISE_FIELDS})


def organization_from_row(row: dict, prefix: str = "") -> OrganizationFacts | None:
    if row.get(prefix + "id") is None:
        return None
    return OrganizationFacts(
        **{field: row[prefix + field] for field in ORGANIZATION_FIELDS},
        enterprise=enterprise_from_row(row, prefix + "enterprise__"),
    )


def enterprise_facts(enterprise) -> EnterpriseFacts | None:
    """Facts of an Enterprise model instance (or None)."""
    if enterprise is None:
        return None
    return enterprise_from_row({field: getattr(enterprise, field) for field in ENTERPRISE_FIELDS})


def organization_facts(organization) -> OrganizationFacts:
    """Facts of an Organization model instance, its enterprise included."""
    facts = organization_from_row({field: getattr(organization, field) for field in ORGANIZATION_FIELDS})
    return replace(facts, enterprise=enterprise_facts(organization.enterprise))


@dataclass(frozen=True)
class LoadedCredential:
    """A credential as the check loaded it: its facts, and what recording its use needs."""

    facts: CredentialFacts
    model: type
    last_used_at: datetime | None = None
    grant: GrantFacts | None = None
    latest_request: RequestFacts | None = None


@lru_cache(maxsize=1024)
def _scopes(scopes: tuple[str, ...]) -> frozenset[str]:
    """One frozenset for each set of scopes: tokens share a handful, and the facts cache holds many tokens."""
    return frozenset(scopes)


def _revoked_at(value) -> datetime:
    # Inside JSON a time is text: ISO 8601 with an offset on PostgreSQL, naive UTC on SQLite.
    moment = value if isinstance(value, datetime) else parse_datetime(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


def enterprise_revocations_from_row(items) -> tuple[tuple[str, datetime], ...]:
    """(enterprise slug, revoked at) pairs, in slug order, from the aggregated revocations."""
    if not items:
        return ()
    return tuple(sorted((item["slug"], _revoked_at(item["at"])) for item in items))


def credential_from_row(kind: str, row: dict) -> LoadedCredential:
    common = {
        "id": row["id"],
        "user_id": row["user_id"],
        "username": row["user__username"],
        "user_active": row["user__is_active"],
        # A key's secret is issued once, when it is registered.
        "issued_at": row["issued_at"] if "issued_at" in row else row["created_at"],
    }
    if kind in (CredentialType.CLASSIC, CredentialType.SSH_KEY):
        common["enterprise_revocations"] = enterprise_revocations_from_row(row["revoked_in_enterprises"])
    if kind == CredentialType.SSH_KEY:
        return LoadedCredential(CredentialFacts(type=CredentialType.SSH_KEY, **common), SSHKey)
    common.update(expires_at=row["expires_at"], revoked_at=row["revoked_at"])
    if kind == CredentialType.CLASSIC:
        facts = CredentialFacts(type=CredentialType.CLASSIC, scopes=_scopes(tuple(row["scopes"])), **common)
        return LoadedCredential(facts, ClassicToken, row["last_used_at"])
    facts = CredentialFacts(
        type=CredentialType.FINE_GRAINED,
        resource_owner_organization_id=row["resource_owner_organization_id"],
        resource_owner_login=row["resource_owner_organization__login"] or row["user__username"],
        repository_access=row["repository_access"],
        permissions=dict(row["permissions"]),
        **common,
    )
    grant = None
    if row.get("grant_id") is not None:
        grant = GrantFacts(
            id=row["grant_id"],
            repository_access=row["grant_repository_access"],
            repository_ids=frozenset(row["grant_repository_ids"] or ()),
            permissions=dict(row["grant_permissions"] or {}),
            revoked_at=row["grant_revoked_at"],
        )
    request = row.get("latest_request")
    latest_request = (
        RequestFacts(id=request["id"], status=request["status"], reason=request["reason"] or "") if request else None
    )
    return LoadedCredential(facts, FineGrainedToken, row["last_used_at"], grant, latest_request)


def credential_facts(record) -> CredentialFacts:
    """Facts of a token or SSH key model instance (the pages' view of a token)."""
    kind = record.TOKEN_TYPE
    row = {field: getattr(record, field, None) for field in FIELDS[kind] if "__" not in field}
    row.update(user__username=record.user.username, user__is_active=record.user.is_active)
    if kind != CredentialType.FINE_GRAINED:
        row["revoked_in_enterprises"] = [
            {"slug": revocation.enterprise.slug, "at": revocation.revoked_at}
            for revocation in record.enterprise_revocations.all()
        ]
    if kind == CredentialType.FINE_GRAINED:
        owner = record.resource_owner_organization
        row["resource_owner_organization__login"] = owner.login if owner is not None else None
    return credential_from_row(kind, row).facts


# --- The credential query ------------------------------------------------------


def grant_and_request_annotations():
    """The grant and latest request of a fine-grained token for its resource-owner organization.

    The grant (one per token and organization) is a filtered LEFT JOIN; the
    latest request a subquery.
    """
    latest_request = AccessRequest.objects.filter(
        token_id=OuterRef("pk"), organization_id=OuterRef("resource_owner_organization_id")
    ).order_by("-created_at", "-id")
    return {
        "token_grant": FilteredRelation(
            "grants", condition=Q(grants__organization_id=F("resource_owner_organization_id"))
        ),
        "grant_id": F("token_grant__id"),
        "grant_repository_access": F("token_grant__repository_access"),
        "grant_repository_ids": F("token_grant__repository_ids"),
        "grant_permissions": F("token_grant__permissions"),
        "grant_revoked_at": F("token_grant__revoked_at"),
        "latest_request": Subquery(
            latest_request.values(data=JSONObject(id="id", status="status", reason="reason"))[:1],
            output_field=JSONField(),
        ),
    }


class JSONListAgg(Aggregate):
    """The aggregated values as one JSON list (NULL or [] over no rows)."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def enterprise_revocations_annotation(credential_field: str) -> Subquery:
    """The enterprises whose owners revoked the credential, with when: a list in the credential's own row.

    A subquery rather than a second query keeps a cold check at its query count.
    """
    revocations = (
        EnterpriseCredentialRevocation.objects.filter(**{credential_field: OuterRef("pk")})
        .values(credential_field)
        .annotate(items=JSONListAgg(JSONObject(slug="enterprise__slug", at="revoked_at")))
        .values("items")
    )
    return Subquery(revocations, output_field=JSONField())


def credential_queryset(kind: str):
    """Every credential of `kind`, selecting FIELDS[kind]; filter it by digest or fingerprint."""
    queryset = MODELS[kind].objects.all()
    if kind == CredentialType.FINE_GRAINED:
        queryset = queryset.annotate(**grant_and_request_annotations())
    else:
        field = "classic_token" if kind == CredentialType.CLASSIC else "ssh_key"
        queryset = queryset.annotate(revoked_in_enterprises=enterprise_revocations_annotation(field))
    if kind == CredentialType.SSH_KEY:
        queryset = queryset.filter(deleted_at=None)
    return queryset.values_list(*FIELDS[kind])


_CREDENTIAL_BY_DIGEST = {
    kind: PreparedQuery(
        lambda digests, kind=kind: credential_queryset(kind).filter(digest__any=digests)[:1], digests=[str]
    )
    for kind in (CredentialType.FINE_GRAINED, CredentialType.CLASSIC)
}
_SSH_KEY_BY_FINGERPRINT = PreparedQuery(
    lambda fingerprint: credential_queryset(CredentialType.SSH_KEY).filter(fingerprint=fingerprint)[:1], fingerprint=str
)


def load_credential(kind: str, value: str) -> LoadedCredential | None:
    """One query: the credential by its plaintext (or an SSH key by fingerprint)."""
    if kind == CredentialType.SSH_KEY:
        rows = _SSH_KEY_BY_FINGERPRINT.rows(fingerprint=value)
    else:
        rows = _CREDENTIAL_BY_DIGEST[kind].rows(digests=credentials.candidate_digests(value))
    if not rows:
        return None
    return credential_from_row(kind, dict(zip(FIELDS[kind], rows[0], strict=True)))


def load_token(plaintext: str) -> LoadedCredential | None:
    """A personal access token by its plaintext; None if malformed (no query) or unknown."""
    kind = credentials.parse_kind(plaintext)
    return load_credential(kind, plaintext) if kind in PERSONAL_TOKEN_TYPES else None


# --- The resource query ----------------------------------------------------------

RELATION_FIELDS = ("is_organization_owner", "is_organization_member", "is_enterprise_member")
ORGANIZATION_ROW = (*ORGANIZATION_FIELDS, *prefixed(ENTERPRISE_FIELDS, "enterprise__"))
REPOSITORY_FIELDS = (
    "id",
    "owner_user_id",
    "visibility",
    *prefixed(ORGANIZATION_ROW, "owner_organization__"),
    *RELATION_FIELDS,
    "repository_selected",
)
ORGANIZATION_RESOURCE_FIELDS = (*ORGANIZATION_ROW, *RELATION_FIELDS)
ENTERPRISE_RESOURCE_FIELDS = (*ENTERPRISE_FIELDS, "is_enterprise_owner")


def relation_annotations(user_id, organization_ref: str, enterprise_ref: str) -> dict:
    """Where `user_id` stands towards the organization (and enterprise) at the given refs.

    Ownership is read from guardian's permission table (SPEC §7).
    """
    return {
        "is_organization_owner": Exists(
            OrganizationPermission.objects.filter(
                user_id=user_id, content_object_id=OuterRef(organization_ref), permission__codename="own_organization"
            )
        ),
        "is_organization_member": Exists(
            Membership.objects.filter(user_id=user_id, organization_id=OuterRef(organization_ref))
        ),
        "is_enterprise_member": Exists(
            Membership.objects.filter(user_id=user_id, organization__enterprise_id=OuterRef(enterprise_ref))
        ),
    }


def _repository_query(user_id, token_id, owner, name):
    through = FineGrainedToken.repositories.through
    return (
        Repository.objects.filter(name=name)
        # Logins are unique across users and organizations; subselects let the
        # database use the (owner, name) indexes instead of joining both owners.
        .filter(
            Q(owner_organization_id=Subquery(Organization.objects.filter(login=owner).values("id")))
            | Q(owner_user_id=Subquery(User.objects.filter(username=owner).values("id")))
        )
        .annotate(
            **relation_annotations(user_id, "owner_organization_id", "owner_organization__enterprise_id"),
            repository_selected=Exists(
                through.objects.filter(finegrainedtoken_id=token_id, repository_id=OuterRef("pk"))
            ),
        )
        .values_list(*REPOSITORY_FIELDS)[:1]
    )


_REPOSITORY = PreparedQuery(_repository_query, user_id=int, token_id=int, owner=str, name=str)
_ORGANIZATION = PreparedQuery(
    lambda user_id, login: (
        Organization.objects.filter(login=login)
        .annotate(**relation_annotations(user_id, "pk", "enterprise_id"))
        .values_list(*ORGANIZATION_RESOURCE_FIELDS)[:1]
    ),
    user_id=int,
    login=str,
)
_ACCOUNT = PreparedQuery(lambda login: User.objects.filter(username=login).values_list("id")[:1], login=str)
_ENTERPRISE = PreparedQuery(
    lambda user_id, slug: (
        Enterprise.objects.filter(slug=slug)
        .annotate(
            is_enterprise_owner=Exists(
                EnterprisePermission.objects.filter(
                    user_id=user_id, content_object_id=OuterRef("pk"), permission__codename="own_enterprise"
                )
            )
        )
        .values_list(*ENTERPRISE_RESOURCE_FIELDS)[:1]
    ),
    user_id=int,
    slug=str,
)


def resource_kind(name: ResourceName, permission: str) -> ResourceKind:
    """What a resource name names. A bare login is the kind of owner the
    permission is for: an account permission names a user, any other an organization."""
    if name.enterprise is not None:
        return ResourceKind.ENTERPRISE
    if name.repository is not None:
        return ResourceKind.REPOSITORY
    if PERMISSIONS[permission].kind == ResourceKind.ACCOUNT:
        return ResourceKind.ACCOUNT
    return ResourceKind.ORGANIZATION


def _relation_from_row(row: dict, **extra) -> RelationFacts:
    return RelationFacts(**{field: bool(row[field]) for field in RELATION_FIELDS}, **extra)


def resource_from_row(kind: ResourceKind, text: str, row: dict | None) -> ResourceFacts:
    """The resource `text` names, from its row (None: it does not exist); the single and batch loaders' reader."""
    if row is None:
        return ResourceFacts(kind, text, exists=False)
    if kind == ResourceKind.REPOSITORY:
        organization = organization_from_row(row, "owner_organization__")
        return ResourceFacts(
            kind=kind,
            name=text,
            owner_user_id=row["owner_user_id"],
            organization=organization,
            repository_id=row["id"],
            visibility=row["visibility"],
            enterprise=organization.enterprise if organization else None,
        )
    if kind == ResourceKind.ORGANIZATION:
        organization = organization_from_row(row)
        return ResourceFacts(kind=kind, name=text, organization=organization, enterprise=organization.enterprise)
    if kind == ResourceKind.ACCOUNT:
        return ResourceFacts(kind=kind, name=text, owner_user_id=row["id"])
    return ResourceFacts(kind=kind, name=text, enterprise=enterprise_from_row(row))


def load_resource(name: ResourceName, permission: str, credential: CredentialFacts):
    """One query: the resource and the credential's standing towards it."""
    kind = resource_kind(name, permission)
    if kind == ResourceKind.REPOSITORY:
        token_id = credential.id if credential.type == CredentialType.FINE_GRAINED else 0
        rows = _REPOSITORY.rows(user_id=credential.user_id, token_id=token_id, owner=name.owner, name=name.repository)
        fields = REPOSITORY_FIELDS
    elif kind == ResourceKind.ORGANIZATION:
        rows = _ORGANIZATION.rows(user_id=credential.user_id, login=name.owner)
        fields = ORGANIZATION_RESOURCE_FIELDS
    elif kind == ResourceKind.ACCOUNT:
        rows, fields = _ACCOUNT.rows(login=name.owner), ("id",)
    else:
        rows = _ENTERPRISE.rows(user_id=credential.user_id, slug=name.enterprise)
        fields = ENTERPRISE_RESOURCE_FIELDS
    row = dict(zip(fields, rows[0], strict=True)) if rows else None
    resource = resource_from_row(kind, name.text, row)
    if row is None or kind == ResourceKind.ACCOUNT:
        relation = RelationFacts()
    elif kind == ResourceKind.ENTERPRISE:
        relation = RelationFacts(is_enterprise_owner=bool(row["is_enterprise_owner"]))
    elif kind == ResourceKind.REPOSITORY:
        relation = _relation_from_row(row, repository_selected=bool(row["repository_selected"]))
    else:
        relation = _relation_from_row(row)
    return resource, relation


# --- Together ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckInput:
    resource: ResourceName
    permission: str
    level: str
    token: str | None = None
    ssh_key_fingerprint: str | None = None

    @property
    def credential_value(self) -> str | None:
        return self.ssh_key_fingerprint if self.ssh_key_fingerprint is not None else self.token


def credential_kind(check: CheckInput) -> CredentialType | None:
    """The credential's type if well formed (gate 1), else None. No query."""
    if check.ssh_key_fingerprint is not None:
        return CredentialType.SSH_KEY if credentials.is_ssh_fingerprint(check.ssh_key_fingerprint) else None
    kind = credentials.parse_kind(check.token)
    return kind if kind in PERSONAL_TOKEN_TYPES else None


def facts_for(check: CheckInput, loaded: LoadedCredential | None, resource, relation, *, now, malformed=False) -> Facts:
    """Assemble `Facts`; the grant and request travel with a fine-grained credential."""
    if loaded is None:
        unresolved = ResourceFacts(kind=PERMISSIONS[check.permission].kind, name=check.resource.text, exists=False)
        return Facts(None, unresolved, check.permission, check.level, now, credential_malformed=malformed)
    return Facts(loaded.facts, resource, check.permission, check.level, now, with_credential(relation, loaded))


def with_credential(relation: RelationFacts, loaded: LoadedCredential) -> RelationFacts:
    """The grant and latest request travel with a fine-grained credential; the relation carries them."""
    return replace(relation, grant=loaded.grant, latest_request=loaded.latest_request)


def load_facts(check: CheckInput, *, now: datetime) -> tuple[Facts, LoadedCredential | None]:
    """Facts for `decide`, and the loaded credential (None when invalid)."""
    kind = credential_kind(check)
    if kind is None:
        return facts_for(check, None, None, None, now=now, malformed=True), None
    loaded = load_credential(kind, check.credential_value)
    if loaded is None:
        return facts_for(check, None, None, None, now=now), None
    resource, relation = load_resource(check.resource, check.permission, loaded.facts)
    return facts_for(check, loaded, resource, relation, now=now), loaded
