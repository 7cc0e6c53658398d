"""The facts of an access check, in two parts, and how to load them.

A check asks about a credential and a resource. Its facts come in two parts,
each loaded (and, by tokens.engine.facts_cache, held) on its own:

- the **credential**: the token or SSH key with its user; for a fine-grained
  token, its grant and latest request for its resource-owner organization (the
  only organization whose approval can matter, behaviour §4 gates 11 and 15) and its
  selected repositories; for a classic token or SSH key, the enterprises whose
  owners revoked it (gate 7); and the user's **standing**: the organizations
  they own and belong to, the enterprises they belong to and own;
- the **resource**: the repository, organization, account or enterprise, with
  its organization's and enterprise's policies.

The relation between the two — is the user an owner or member of the
resource's organization, is the repository among the token's selected ones —
is then a set lookup (`relation_towards`), so a process holds tokens plus
resources rather than their product. Gate 1 needs no query: a malformed
credential is refused before any lookup. A check whose parts are both unknown
loads them in one query (`load_check`); a batch in a fixed few
(tokens.engine.facts_batch); tests/speed/test_query_counts.py asserts both.
The queries are `PreparedQuery`s: compiled once, then run with new
parameters, because compiling them would cost more than running them. On
PostgreSQL a credential is read from its materialized row, the credential
query's row kept ready by triggers (tokens.engine.materialized_credentials).
"""

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Aggregate, F, FilteredRelation, JSONField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat, JSONObject
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
from policies.models import ENTERPRISE_POLICY_FIELDS, POLICY_FIELDS

from ..choices import CredentialType
from ..models import (
    AccessRequest,
    ClassicToken,
    EnterpriseCredentialRevocation,
    FineGrainedToken,
    MaterializedCredential,
    MaterializedResource,
    SSHKey,
)
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
    StagedResource,
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

ENTERPRISE_FIELDS = ("slug", "name", "fine_grained_opted_in", *ENTERPRISE_POLICY_FIELDS)
ORGANIZATION_FIELDS = ("id", "login", "base_permission", "fine_grained_opted_in", *POLICY_FIELDS)
USER_FIELDS = ("id", "user_id", "user__username", "user__is_active")
# The user's standing, aggregated into the credential's row (`standing_annotations`).
STANDING_FIELDS = (
    "owned_organization_ids",
    "member_organization_ids",
    "member_enterprise_slugs",
    "owned_enterprise_slugs",
)
CLASSIC_FIELDS = (
    *USER_FIELDS,
    "issued_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
    "scopes",
    "revoked_in_enterprises",
    *STANDING_FIELDS,
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
    *STANDING_FIELDS,
    "selected_repository_ids",
)
SSH_KEY_FIELDS = (*USER_FIELDS, "created_at", "revoked_in_enterprises", *STANDING_FIELDS)
FIELDS = {
    CredentialType.FINE_GRAINED: FINE_GRAINED_FIELDS,
    CredentialType.CLASSIC: CLASSIC_FIELDS,
    CredentialType.SSH_KEY: SSH_KEY_FIELDS,
}
# What a credential is looked up by.
KEY_FIELD = {
    CredentialType.FINE_GRAINED: "digest",
    CredentialType.CLASSIC: "digest",
    CredentialType.SSH_KEY: "fingerprint",
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
class Standing:
    """Where a credential's user stands, everywhere: what any check needs of the user's relations.

    Small next to what it saves: a process holds one per credential instead of
    one relation per credential and resource.
    """

    owned_organization_ids: frozenset[int] = frozenset()
    member_organization_ids: frozenset[int] = frozenset()
    member_enterprise_slugs: frozenset[str] = frozenset()  # of the organizations the user belongs to
    owned_enterprise_slugs: frozenset[str] = frozenset()
    selected_repository_ids: frozenset[int] = frozenset()  # a fine-grained token's selection


NO_STANDING = Standing()


@dataclass(frozen=True)
class LoadedCredential:
    """A credential as the check loaded it: its facts, and what recording its use needs."""

    facts: CredentialFacts
    model: type
    last_used_at: datetime | None = None
    grant: GrantFacts | None = None
    latest_request: RequestFacts | None = None
    standing: Standing = NO_STANDING


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


def standing_from_row(row: dict) -> Standing:
    """The aggregated lists (NULL or [] when there are none) as sets."""
    values = [frozenset(row.get(field) or ()) for field in (*STANDING_FIELDS, "selected_repository_ids")]
    return Standing(*values) if any(values) else NO_STANDING


def credential_from_row(kind: str, row: dict) -> LoadedCredential:
    common = {
        "id": row["id"],
        "user_id": row["user_id"],
        "username": row["user__username"],
        "user_active": row["user__is_active"],
        # A key's secret is issued once, when it is registered.
        "issued_at": row["issued_at"] if "issued_at" in row else row["created_at"],
    }
    standing = standing_from_row(row)
    if kind in (CredentialType.CLASSIC, CredentialType.SSH_KEY):
        common["enterprise_revocations"] = enterprise_revocations_from_row(row["revoked_in_enterprises"])
    if kind == CredentialType.SSH_KEY:
        return LoadedCredential(CredentialFacts(type=CredentialType.SSH_KEY, **common), SSHKey, standing=standing)
    common.update(expires_at=row["expires_at"], revoked_at=row["revoked_at"])
    if kind == CredentialType.CLASSIC:
        facts = CredentialFacts(type=CredentialType.CLASSIC, scopes=_scopes(tuple(row["scopes"])), **common)
        return LoadedCredential(facts, ClassicToken, row["last_used_at"], standing=standing)
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
    return LoadedCredential(facts, FineGrainedToken, row["last_used_at"], grant, latest_request, standing)


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
    for field in (*STANDING_FIELDS, "selected_repository_ids"):
        row[field] = None  # the pages' callers say where the user stands themselves
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


def listed(queryset, outer_field: str, value) -> Subquery:
    """`value` over the rows of `queryset` whose `outer_field` is the outer row's, as one JSON list.

    Subqueries rather than more queries: the credential's row carries all it
    needs, so a cold check stays at one query.
    """
    return Subquery(
        queryset.values(outer_field).annotate(items=JSONListAgg(value)).values("items"), output_field=JSONField()
    )


def enterprise_revocations_annotation(credential_field: str) -> Subquery:
    """The enterprises whose owners revoked the credential, with when."""
    return listed(
        EnterpriseCredentialRevocation.objects.filter(**{credential_field: OuterRef("pk")}),
        credential_field,
        JSONObject(slug="enterprise__slug", at="revoked_at"),
    )


def standing_annotations(kind: str) -> dict:
    """The user's standing (and a fine-grained token's selection), as lists in the credential's row.

    Ownership is read from guardian's permission table (behaviour §7).
    """
    user = OuterRef("user_id")
    annotations = {
        "owned_organization_ids": listed(
            OrganizationPermission.objects.filter(user_id=user, permission__codename="own_organization"),
            "user_id",
            "content_object_id",
        ),
        "member_organization_ids": listed(Membership.objects.filter(user_id=user), "user_id", "organization_id"),
        "member_enterprise_slugs": listed(
            Membership.objects.filter(user_id=user, organization__enterprise__isnull=False),
            "user_id",
            "organization__enterprise__slug",
        ),
        "owned_enterprise_slugs": listed(
            EnterprisePermission.objects.filter(user_id=user, permission__codename="own_enterprise"),
            "user_id",
            "content_object__slug",
        ),
    }
    if kind == CredentialType.FINE_GRAINED:
        through = FineGrainedToken.repositories.through
        annotations["selected_repository_ids"] = listed(
            through.objects.filter(finegrainedtoken_id=OuterRef("pk")), "finegrainedtoken_id", "repository_id"
        )
    return annotations


def credential_queryset(kind: str):
    """Every credential of `kind`, selecting FIELDS[kind] and its key field; filter it by key."""
    queryset = MODELS[kind].objects.all()
    if kind == CredentialType.FINE_GRAINED:
        queryset = queryset.annotate(**grant_and_request_annotations())
    else:
        field = "classic_token" if kind == CredentialType.CLASSIC else "ssh_key"
        queryset = queryset.annotate(revoked_in_enterprises=enterprise_revocations_annotation(field))
    queryset = queryset.annotate(**standing_annotations(kind))
    if kind == CredentialType.SSH_KEY:
        queryset = queryset.filter(deleted_at=None)
    return queryset.values_list(*FIELDS[kind], KEY_FIELD[kind])


def reads_materialized() -> bool:
    """Whether checks read credentials' rows ready made (PostgreSQL: tokens.engine.materialized_credentials)."""
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


# The materialized row: the credential query's row as a JSON array, its last use apart.
MATERIALIZED_FIELDS = ("row", "last_used_at", "key")
DATETIME_FIELDS = {
    kind: tuple(
        field
        for field in fields
        if field in ("issued_at", "expires_at", "revoked_at", "created_at", "grant_revoked_at")
    )
    for kind, fields in FIELDS.items()
}


def credentials_by_key(kind: str, keys, *, lookup: str = "any"):
    """The credentials of `kind` stored under `keys`: materialized rows where there are, else the query's rows.

    `lookup` "in" lists the keys one by one (one statement per count of keys), which PostgreSQL plans
    for exactly that many rows; "any" sends them as one array, planned for an unknown number."""
    if reads_materialized():
        return MaterializedCredential.objects.filter(credential_type=kind, **{f"key__{lookup}": keys}).values_list(
            *MATERIALIZED_FIELDS
        )
    return credential_queryset(kind).filter(**{f"{KEY_FIELD[kind]}__{lookup}": keys})


def credential_keys_for(kind: str, value: str) -> list[str]:
    """What a credential given as `value` (a plaintext, or a key's fingerprint) may be stored under."""
    return [value] if kind == CredentialType.SSH_KEY else credentials.candidate_digests(value)


def _unpacked(kind: str, text: str, last_used_at) -> dict:
    """A materialized row as the credential query's row: times (ISO text in JSON) as datetimes."""
    row = dict(zip(FIELDS[kind], json.loads(text), strict=True))
    for field in DATETIME_FIELDS[kind]:
        if row[field] is not None:
            row[field] = datetime.fromisoformat(row[field])
    if "last_used_at" in row:
        row["last_used_at"] = last_used_at
    return row


def credential_from_query_row(kind: str, row) -> tuple[str, LoadedCredential]:
    """(the key it was found by, the credential) from a row of `credential_queryset`."""
    *values, key = row
    return key, credential_from_row(kind, dict(zip(FIELDS[kind], values, strict=True)))


def credential_from_materialized_row(kind: str, row) -> tuple[str, LoadedCredential]:
    """(the key it was found by, the credential) from a `MaterializedCredential` row."""
    text, last_used_at, key = row
    return key, credential_from_row(kind, _unpacked(kind, text, last_used_at))


def credential_from_key_row(kind: str, row) -> tuple[str, LoadedCredential]:
    """(the key it was found by, the credential) from a row of `credentials_by_key`."""
    if reads_materialized():
        return credential_from_materialized_row(kind, row)
    return credential_from_query_row(kind, row)


# --- The resource query ----------------------------------------------------------

# A staged report-only policy rides along its owner's row (NULLs almost always): the check stays one query.
STAGED = "staged_policy__"
ENTERPRISE_ROW = (*ENTERPRISE_FIELDS, *prefixed(("id", *ENTERPRISE_POLICY_FIELDS), STAGED))
ORGANIZATION_ROW = (
    *ORGANIZATION_FIELDS,
    *prefixed(("id", *POLICY_FIELDS), STAGED),
    *prefixed(ENTERPRISE_ROW, "enterprise__"),
)
REPOSITORY_ROW = (
    "id",
    "name",
    "owner_user_id",
    "owner_user__username",
    "visibility",
    *prefixed(ORGANIZATION_ROW, "owner_organization__"),
)
RESOURCE_FIELDS = {
    ResourceKind.REPOSITORY: REPOSITORY_ROW,
    ResourceKind.ORGANIZATION: ORGANIZATION_ROW,
    ResourceKind.ACCOUNT: ("id", "username"),
    ResourceKind.ENTERPRISE: ENTERPRISE_ROW,
}


def resource_queryset(kind: ResourceKind, owner: str, name: str):
    """The resource `owner` (a login or an enterprise's slug) and, for a repository, `name` name; one row at most."""
    if kind == ResourceKind.REPOSITORY:
        queryset = Repository.objects.filter(name=name).filter(
            # Logins are unique across users and organizations; subselects let the
            # database use the (owner, name) indexes instead of joining both owners.
            Q(owner_organization_id=Subquery(Organization.objects.filter(login=owner).values("id")))
            | Q(owner_user_id=Subquery(User.objects.filter(username=owner).values("id")))
        )
    elif kind == ResourceKind.ORGANIZATION:
        queryset = Organization.objects.filter(login=owner)
    elif kind == ResourceKind.ACCOUNT:
        queryset = User.objects.filter(username=owner)
    else:
        queryset = Enterprise.objects.filter(slug=owner)
    return queryset.values_list(*RESOURCE_FIELDS[kind])[:1]


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


def resource_lookup(name: ResourceName, kind: ResourceKind) -> tuple[str, str]:
    """(owner, name) for `resource_queryset`: the login or slug, and the repository's name or ""."""
    if kind == ResourceKind.ENTERPRISE:
        return name.enterprise, ""
    return name.owner, name.repository or ""


def materialized_name(owner: str, name: str) -> str:
    """The name a resource's materialized row is stored under: ``owner/name``, or the login or slug alone."""
    return f"{owner}/{name}" if name else owner


def materialized_resource_queryset(kind: ResourceKind, owner: str, name: str):
    """The materialized row (its JSON text) of the resource `resource_queryset` would find; PostgreSQL only.

    The name is put together by the database, so a `PreparedQuery` still sees `owner` and `name` as its own.
    """
    stored_as = Concat(Value(owner), Value("/"), Value(name)) if kind == ResourceKind.REPOSITORY else Value(owner)
    return MaterializedResource.objects.filter(kind=kind, name=stored_as).values_list("row")[:1]


def resource_from_materialized(kind: ResourceKind, text: str, row: str | None) -> ResourceFacts:
    """`resource_from_row` of a materialized row (None: the resource does not exist)."""
    if row is None:
        return resource_from_row(kind, text, None)
    return resource_from_row(kind, text, dict(zip(RESOURCE_FIELDS[kind], json.loads(row), strict=True)))


def resource_from_row(kind: ResourceKind, text: str, row: dict | None) -> ResourceFacts:
    """The resource `text` names, from its row (None: it does not exist); the single and batch loaders' reader."""
    if row is None:
        return ResourceFacts(kind, text, exists=False)
    if kind == ResourceKind.REPOSITORY:
        organization = organization_from_row(row, "owner_organization__")
        resource = ResourceFacts(
            kind=kind,
            name=text,
            owner_user_id=row["owner_user_id"],
            organization=organization,
            repository_id=row["id"],
            visibility=row["visibility"],
            enterprise=organization.enterprise if organization else None,
        )
        return with_staged(resource, row, "owner_organization__")
    if kind == ResourceKind.ORGANIZATION:
        organization = organization_from_row(row)
        resource = ResourceFacts(kind=kind, name=text, organization=organization, enterprise=organization.enterprise)
        return with_staged(resource, row, "")
    if kind == ResourceKind.ACCOUNT:
        return ResourceFacts(kind=kind, name=text, owner_user_id=row["id"])
    return with_staged(ResourceFacts(kind=kind, name=text, enterprise=enterprise_from_row(row)), row, None)


def _staged_values(row: dict, prefix: str, fields) -> tuple[int, dict] | None:
    staged_id = row.get(prefix + STAGED + "id")
    if staged_id is None:
        return None
    return staged_id, {field: row[prefix + STAGED + field] for field in fields}


def with_staged(resource: ResourceFacts, row: dict, organization_prefix: str | None) -> ResourceFacts:
    """`resource` carrying itself as each report-only policy staged on its organization or enterprise would
    have it (behaviour §5.8). `organization_prefix` names the organization's columns; None: an enterprise's row."""
    organization, enterprise = resource.organization, resource.enterprise
    staged = []
    if organization is not None:
        found = _staged_values(row, organization_prefix, POLICY_FIELDS)
        if found is not None:
            staged.append(StagedResource(found[0], replace(resource, organization=replace(organization, **found[1]))))
    if enterprise is not None:
        prefix = "" if organization_prefix is None else organization_prefix + "enterprise__"
        found = _staged_values(row, prefix, ENTERPRISE_POLICY_FIELDS)
        if found is not None:
            would_be = replace(enterprise, **found[1])
            in_organization = replace(organization, enterprise=would_be) if organization is not None else None
            staged.append(
                StagedResource(found[0], replace(resource, enterprise=would_be, organization=in_organization))
            )
    return replace(resource, staged=tuple(staged)) if staged else resource


def relation_towards(loaded: LoadedCredential, resource: ResourceFacts) -> RelationFacts:
    """Where the credential's user (and token) stands towards `resource`, from its standing; no query."""
    standing = loaded.standing
    grant, latest_request = loaded.grant, loaded.latest_request
    kind = resource.kind
    if not resource.exists or kind == ResourceKind.ACCOUNT:
        return RelationFacts(grant=grant, latest_request=latest_request)
    enterprise = resource.enterprise
    if kind == ResourceKind.ENTERPRISE:
        return RelationFacts(
            is_enterprise_owner=enterprise.slug in standing.owned_enterprise_slugs,
            grant=grant,
            latest_request=latest_request,
        )
    organization = resource.organization
    return RelationFacts(
        is_organization_owner=organization is not None and organization.id in standing.owned_organization_ids,
        is_organization_member=organization is not None and organization.id in standing.member_organization_ids,
        is_enterprise_member=enterprise is not None and enterprise.slug in standing.member_enterprise_slugs,
        repository_selected=kind == ResourceKind.REPOSITORY
        and resource.repository_id in standing.selected_repository_ids,
        grant=grant,
        latest_request=latest_request,
    )


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


# What names each part. Tuples of strings only: CPython's garbage collector
# leaves such tuples alone, and a process holds tens of thousands of them.
CredentialKey = tuple[str, str, str]  # ("credential", type, digest under the current pepper or fingerprint)
ResourceKey = tuple[str, str, str]  # ("resource", name as asked, kind)


def credential_key(kind: str, value: str) -> CredentialKey:
    """Tokens are named by their digest, so no plaintext stays in memory."""
    return _named(kind, credential_keys_for(kind, value))


def _named(kind: str, stored_under: list[str]) -> CredentialKey:
    return "credential", str(kind), stored_under[0]


def resource_key(check: CheckInput) -> ResourceKey:
    return "resource", check.resource.text, str(resource_kind(check.resource, check.permission))


def check_keys(
    checks: list[CheckInput], stored_under: dict | None = None
) -> list[tuple[CredentialKey | None, ResourceKey]]:
    """The parts each check needs; no credential key for a malformed credential (there is nothing to load).

    A credential repeated in a batch is parsed and hashed once, and only once:
    `stored_under`, if given, is filled with {credential key: every key it may
    be stored under} for `load_parts` (digests, never a plaintext).
    """
    credential_keys, keys = {}, []
    for check in checks:
        asked = (check.ssh_key_fingerprint is not None, check.credential_value)
        if asked not in credential_keys:
            kind = credential_kind(check)
            if kind is None:
                credential_keys[asked] = None
            else:
                candidates = credential_keys_for(kind, check.credential_value)
                credential_keys[asked] = key = _named(kind, candidates)
                if stored_under is not None:
                    stored_under[key] = candidates
        keys.append((credential_keys[asked], resource_key(check)))
    return keys


def facts_for(check: CheckInput, loaded: LoadedCredential | None, resource, *, now, malformed=False) -> Facts:
    """Assemble `Facts` from a check's two parts (no resource without a credential)."""
    if loaded is None:
        unresolved = ResourceFacts(kind=PERMISSIONS[check.permission].kind, name=check.resource.text, exists=False)
        return Facts(None, unresolved, check.permission, check.level, now, credential_malformed=malformed)
    return Facts(loaded.facts, resource, check.permission, check.level, now, relation_towards(loaded, resource))


def _check_query(credential_type: str, kind: ResourceKind) -> PreparedQuery:
    return PreparedQuery(
        # A plaintext has one candidate key per pepper: a generic plan for an array of unknown length
        # expects ten rows and hashes whole tables to join them, costing a cold check twice its lookups.
        lambda keys, owner, name: (
            credentials_by_key(credential_type, keys, lookup="in"),
            (materialized_resource_queryset if reads_materialized() else resource_queryset)(kind, owner, name),
        ),
        keys=[str],
        owner=str,
        name=str,
    )


# A credential and a resource side by side: the credential's rows (one per key
# it may be stored under; one at most is found) beside the resource's row, or
# NULLs where there is no such resource.
_CHECK = {
    (credential_type, kind): _check_query(credential_type, kind) for credential_type in FIELDS for kind in ResourceKind
}


def load_check(kind: str, value: str, name: ResourceName, named: ResourceKind, *, stored_under=None):
    """One query: the credential given as `value` (or found under `stored_under`, its candidate keys
    already worked out) and the resource `name` (of kind `named`); (None, None) for an unknown credential."""
    owner, repository = resource_lookup(name, named)
    keys = stored_under or credential_keys_for(kind, value)
    rows = _CHECK[(kind, named)].rows(keys=keys, owner=owner, name=repository)
    if not rows:
        return None, None
    width = len(MATERIALIZED_FIELDS) if reads_materialized() else len(FIELDS[kind]) + 1
    _, loaded = credential_from_key_row(kind, rows[0][:width])
    resource_row = rows[0][width:]
    if reads_materialized():
        return loaded, resource_from_materialized(named, name.text, resource_row[0])
    row = dict(zip(RESOURCE_FIELDS[named], resource_row, strict=True)) if resource_row[0] is not None else None
    return loaded, resource_from_row(named, name.text, row)


_CREDENTIALS = {
    kind: PreparedQuery(lambda keys, kind=kind: credentials_by_key(kind, keys), keys=[str]) for kind in FIELDS
}


def load_credentials(wanted: dict[str, dict[str, object]]) -> dict:
    """One query per credential type: `wanted` maps a type to {a key it may be stored under: what the
    caller calls it}; what was found, keyed by the caller's names."""
    found = {}
    for kind, known_as in wanted.items():
        for row in _CREDENTIALS[kind].rows(keys=sorted(known_as)):
            key, loaded = credential_from_key_row(kind, row)
            found[known_as[key]] = loaded
    return found


def load_token(plaintext: str) -> LoadedCredential | None:
    """A personal access token by its plaintext; None if malformed (no query) or unknown."""
    kind = credentials.parse_kind(plaintext)
    if kind not in PERSONAL_TOKEN_TYPES:
        return None
    return load_credentials({kind: dict.fromkeys(credentials.candidate_digests(plaintext), plaintext)}).get(plaintext)
