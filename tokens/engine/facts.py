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

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import itemgetter

import orjson
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import (
    Aggregate,
    BigIntegerField,
    F,
    FilteredRelation,
    Func,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
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
    built,
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
# Queries select these fields with `values_list`, and materialized rows hold
# them in the same order; the same readers turn a row (or a model instance,
# read attribute by attribute) into facts, so the single check, the batch and
# the pages build facts one way. The readers take a row by position (`picker`,
# `AT`), never as a dict, and the hot ones make facts with `built`: a cold
# batch spends more of its time reading rows than querying them.

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


def picker(layout: tuple, names, prefix: str = ""):
    """The values of `names` (each read as `prefix` + name) in a row laid out as `layout`, as one tuple;
    positions worked out once, from the names."""
    positions = [layout.index(prefix + name) for name in names]
    if len(positions) == 1:  # itemgetter of one position gives the value, not a tuple
        [position] = positions
        return lambda row: (row[position],)
    return itemgetter(*positions)


# An organization's or enterprise's facts are values, and the same values make
# one shared object: a process holding a thousand repositories of an
# organization holds its facts once, and reading the row of a known
# organization costs a lookup. Keyed by every value, a shared object is never
# stale; the bound only caps memory (organizations are far fewer than the checks
# the facts cache holds).
@lru_cache(maxsize=4096)
def enterprise_from_values(values: tuple) -> EnterpriseFacts | None:
    """The enterprise whose ENTERPRISE_FIELDS are `values`; None when its slug is NULL (there is none)."""
    if values[0] is None:
        return None
    return EnterpriseFacts(**dict(zip(ENTERPRISE_FIELDS, values, strict=True)))


@lru_cache(maxsize=4096)
def organization_from_values(values: tuple, enterprise_values: tuple) -> OrganizationFacts | None:
    """The organization whose ORGANIZATION_FIELDS are `values`, in its enterprise; None when its id is NULL."""
    if values[0] is None:
        return None
    return OrganizationFacts(
        **dict(zip(ORGANIZATION_FIELDS, values, strict=True)), enterprise=enterprise_from_values(enterprise_values)
    )


NO_ENTERPRISE = (None,) * len(ENTERPRISE_FIELDS)


def _enterprise_values(enterprise) -> tuple:
    if enterprise is None:
        return NO_ENTERPRISE
    return tuple(getattr(enterprise, field) for field in ENTERPRISE_FIELDS)


def enterprise_facts(enterprise) -> EnterpriseFacts | None:
    """Facts of an Enterprise model instance (or None)."""
    return enterprise_from_values(_enterprise_values(enterprise))


def organization_facts(organization) -> OrganizationFacts:
    """Facts of an Organization model instance, its enterprise included."""
    return organization_from_values(
        tuple(getattr(organization, field) for field in ORGANIZATION_FIELDS),
        _enterprise_values(organization.enterprise),
    )


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


# Where each field sits in a credential's row, and the lists that make its standing, in Standing's order.
AT = {kind: {field: index for index, field in enumerate(fields)} for kind, fields in FIELDS.items()}
_STANDING_LISTS = {
    kind: picker(fields, [field for field in (*STANDING_FIELDS, "selected_repository_ids") if field in fields])
    for kind, fields in FIELDS.items()
}


def standing_from_row(kind: str, row) -> Standing:
    """The aggregated lists (NULL or [] when there are none) as sets."""
    lists = _STANDING_LISTS[kind](row)
    if not any(lists):
        return NO_STANDING
    return Standing(*(frozenset(items or ()) for items in lists))


def credential_from_row(kind: str, row) -> LoadedCredential:
    """A credential from its row: the values of FIELDS[kind], in that order."""
    at = AT[kind]
    common = {
        "id": row[at["id"]],
        "user_id": row[at["user_id"]],
        "username": row[at["user__username"]],
        "user_active": row[at["user__is_active"]],
        # A key's secret is issued once, when it is registered.
        "issued_at": row[at["created_at"] if kind == CredentialType.SSH_KEY else at["issued_at"]],
    }
    standing = standing_from_row(kind, row)
    if kind in (CredentialType.CLASSIC, CredentialType.SSH_KEY):
        common["enterprise_revocations"] = enterprise_revocations_from_row(row[at["revoked_in_enterprises"]])
    if kind == CredentialType.SSH_KEY:
        facts = built(CredentialFacts, type=CredentialType.SSH_KEY, **common)
        return built(LoadedCredential, facts=facts, model=SSHKey, standing=standing)
    common.update(expires_at=row[at["expires_at"]], revoked_at=row[at["revoked_at"]])
    if kind == CredentialType.CLASSIC:
        facts = built(CredentialFacts, type=CredentialType.CLASSIC, scopes=_scopes(tuple(row[at["scopes"]])), **common)
        return built(
            LoadedCredential, facts=facts, model=ClassicToken, last_used_at=row[at["last_used_at"]], standing=standing
        )
    facts = built(
        CredentialFacts,
        type=CredentialType.FINE_GRAINED,
        resource_owner_organization_id=row[at["resource_owner_organization_id"]],
        resource_owner_login=row[at["resource_owner_organization__login"]] or row[at["user__username"]],
        repository_access=row[at["repository_access"]],
        permissions=dict(row[at["permissions"]]),
        **common,
    )
    grant = None
    if row[at["grant_id"]] is not None:
        grant = built(
            GrantFacts,
            id=row[at["grant_id"]],
            repository_access=row[at["grant_repository_access"]],
            repository_ids=frozenset(row[at["grant_repository_ids"]] or ()),
            permissions=dict(row[at["grant_permissions"]] or {}),
            revoked_at=row[at["grant_revoked_at"]],
        )
    request = row[at["latest_request"]]
    latest_request = (
        RequestFacts(id=request["id"], status=request["status"], reason=request["reason"] or "") if request else None
    )
    return built(
        LoadedCredential,
        facts=facts,
        model=FineGrainedToken,
        last_used_at=row[at["last_used_at"]],
        grant=grant,
        latest_request=latest_request,
        standing=standing,
    )


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
    return credential_from_row(kind, [row[field] for field in FIELDS[kind]]).facts


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


class EpochMicroseconds(Func):
    """A moment as whole microseconds since the epoch (PostgreSQL): an integer loads in a fraction of a
    timestamptz's time, and converts back exactly."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def materialized_credential_rows():
    """Every materialized row as `credential_from_materialized_row` reads it: the credential's type, the
    credential query's row as a JSON array, its last use apart (`EpochMicroseconds`), and its key."""
    return MaterializedCredential.objects.annotate(last_used=EpochMicroseconds("last_used_at")).values_list(
        "credential_type", "row", "last_used", "key"
    )


def credentials_by_key(kind: str, keys, *, lookup: str = "any"):
    """The credentials of `kind` stored under `keys`: materialized rows where there are, else the query's rows.

    `lookup` "in" lists the keys one by one (one statement per count of keys), which PostgreSQL plans
    for exactly that many rows; "any" sends them as one array, planned for an unknown number."""
    if reads_materialized():
        return materialized_credential_rows().filter(credential_type=kind, **{f"key__{lookup}": keys})
    return credential_queryset(kind).filter(**{f"{KEY_FIELD[kind]}__{lookup}": keys})


def credential_keys_for(kind: str, value: str) -> list[str]:
    """What a credential given as `value` (a plaintext, or a key's fingerprint) may be stored under."""
    return [value] if kind == CredentialType.SSH_KEY else credentials.candidate_digests(value)


# Where a materialized row keeps times: ISO 8601 text inside the JSON.
_DATETIMES_AT = {
    kind: tuple(
        index
        for index, field in enumerate(fields)
        if field in ("issued_at", "expires_at", "revoked_at", "created_at", "grant_revoked_at")
    )
    for kind, fields in FIELDS.items()
}


def _unpacked(kind: str, text: str, last_used: int | None) -> list:
    """A materialized row as the credential query's row: times as datetimes, the last use put back."""
    row = orjson.loads(text)
    for index in _DATETIMES_AT[kind]:
        if row[index] is not None:
            row[index] = datetime.fromisoformat(row[index])
    if "last_used_at" in AT[kind]:
        row[AT[kind]["last_used_at"]] = None if last_used is None else EPOCH + timedelta(microseconds=last_used)
    return row


def credential_from_query_row(kind: str, row) -> tuple[str, LoadedCredential]:
    """(the key it was found by, the credential) from a row of `credential_queryset`."""
    return row[-1], credential_from_row(kind, row)


def credential_from_materialized_row(row) -> tuple[str, LoadedCredential]:
    """(the key it was found by, the credential) from a row of `materialized_credential_rows`."""
    kind, text, last_used, key = row
    return key, credential_from_row(kind, _unpacked(kind, text, last_used))


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
    """`resource_from_row` of a materialized row, its JSON text (None: the resource does not exist)."""
    return resource_from_row(kind, text, None if row is None else orjson.loads(row))


class _StagedColumns:
    """Where a resource's row keeps a report-only policy staged on one of its owners (NULLs almost always)."""

    def __init__(self, layout: tuple, prefix: str, fields: tuple):
        self.id_at = layout.index(prefix + STAGED + "id")
        self.fields = fields
        self.values = picker(layout, fields, prefix + STAGED)

    def read(self, row) -> tuple[int, dict] | None:
        """(the staged policy's id, {field: value}), or None when nothing is staged."""
        staged_id = row[self.id_at]
        if staged_id is None:
            return None
        return staged_id, dict(zip(self.fields, self.values(row), strict=True))


class _PolicyOwners:
    """Where a resource's row (RESOURCE_FIELDS[kind]) keeps its organization and enterprise, and the policies
    staged on each: positions worked out once from the field names. `organization`: the prefix of the
    organization's fields (None: the row has none); `enterprise`: the enterprise's."""

    def __init__(self, layout: tuple, organization: str | None, enterprise: str):
        self._enterprise = picker(layout, ENTERPRISE_FIELDS, enterprise)
        self._staged_on_enterprise = _StagedColumns(layout, enterprise, ENTERPRISE_POLICY_FIELDS)
        self._organization = self._staged_on_organization = None
        if organization is not None:
            self._organization = picker(layout, ORGANIZATION_FIELDS, organization)
            self._staged_on_organization = _StagedColumns(layout, organization, POLICY_FIELDS)

    def organization(self, row) -> OrganizationFacts | None:
        return organization_from_values(self._organization(row), self._enterprise(row))

    def enterprise(self, row) -> EnterpriseFacts | None:
        return enterprise_from_values(self._enterprise(row))

    def staged(self, row) -> tuple[tuple[int, dict] | None, tuple[int, dict] | None]:
        """The policies staged on the organization (if the row has one), then on the enterprise."""
        on_organization = self._staged_on_organization
        return on_organization and on_organization.read(row), self._staged_on_enterprise.read(row)


_REPOSITORY_AT = {field: index for index, field in enumerate(REPOSITORY_ROW)}
_OWNERS = {
    ResourceKind.REPOSITORY: _PolicyOwners(REPOSITORY_ROW, "owner_organization__", "owner_organization__enterprise__"),
    ResourceKind.ORGANIZATION: _PolicyOwners(ORGANIZATION_ROW, "", "enterprise__"),
    ResourceKind.ENTERPRISE: _PolicyOwners(ENTERPRISE_ROW, None, ""),
}


def resource_from_row(kind: ResourceKind, text: str, row) -> ResourceFacts:
    """The resource `text` names, from its row: the values of RESOURCE_FIELDS[kind], in that order (None: it
    does not exist). The single and batch loaders' reader."""
    if row is None:
        return ResourceFacts(kind, text, exists=False)
    if kind == ResourceKind.ACCOUNT:
        return built(ResourceFacts, kind=kind, name=text, owner_user_id=row[0])
    owners = _OWNERS[kind]
    if kind == ResourceKind.REPOSITORY:
        organization = owners.organization(row)
        resource = built(
            ResourceFacts,
            kind=kind,
            name=text,
            owner_user_id=row[_REPOSITORY_AT["owner_user_id"]],
            organization=organization,
            repository_id=row[_REPOSITORY_AT["id"]],
            visibility=row[_REPOSITORY_AT["visibility"]],
            enterprise=organization.enterprise if organization else None,
        )
    elif kind == ResourceKind.ORGANIZATION:
        organization = owners.organization(row)
        resource = built(
            ResourceFacts, kind=kind, name=text, organization=organization, enterprise=organization.enterprise
        )
    else:
        resource = built(ResourceFacts, kind=kind, name=text, enterprise=owners.enterprise(row))
    return with_staged(resource, *owners.staged(row))


def with_staged(resource: ResourceFacts, on_organization, on_enterprise) -> ResourceFacts:
    """`resource` carrying itself as each report-only policy staged on its organization or enterprise would
    have it (behaviour §5.8); each staged policy is (id, {field: value}) or None."""
    organization, enterprise = resource.organization, resource.enterprise
    staged = []
    if organization is not None and on_organization is not None:
        staged_id, values = on_organization
        staged.append(StagedResource(staged_id, replace(resource, organization=replace(organization, **values))))
    if enterprise is not None and on_enterprise is not None:
        staged_id, values = on_enterprise
        would_be = replace(enterprise, **values)
        in_organization = replace(organization, enterprise=would_be) if organization is not None else None
        staged.append(StagedResource(staged_id, replace(resource, enterprise=would_be, organization=in_organization)))
    return replace(resource, staged=tuple(staged)) if staged else resource


def relation_towards(loaded: LoadedCredential, resource: ResourceFacts) -> RelationFacts:
    """Where the credential's user (and token) stands towards `resource`, from its standing; no query."""
    standing = loaded.standing
    grant, latest_request = loaded.grant, loaded.latest_request
    kind = resource.kind
    if not resource.exists or kind == ResourceKind.ACCOUNT:
        return built(RelationFacts, grant=grant, latest_request=latest_request)
    enterprise = resource.enterprise
    if kind == ResourceKind.ENTERPRISE:
        return built(
            RelationFacts,
            is_enterprise_owner=enterprise.slug in standing.owned_enterprise_slugs,
            grant=grant,
            latest_request=latest_request,
        )
    organization = resource.organization
    return built(
        RelationFacts,
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
    return built(
        Facts,
        credential=loaded.facts,
        resource=resource,
        permission=check.permission,
        level=check.level,
        now=now,
        relation=relation_towards(loaded, resource),
    )


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
    if reads_materialized():
        credential_row, (resource_row,) = rows[0][:4], rows[0][4:]
        _, loaded = credential_from_materialized_row(credential_row)
        return loaded, resource_from_materialized(named, name.text, resource_row)
    width = len(FIELDS[kind]) + 1
    credential_row, resource_row = rows[0][:width], rows[0][width:]
    _, loaded = credential_from_query_row(kind, credential_row)
    return loaded, resource_from_row(named, name.text, resource_row if resource_row[0] is not None else None)


_CREDENTIALS = {
    kind: PreparedQuery(lambda keys, kind=kind: credentials_by_key(kind, keys), keys=[str]) for kind in FIELDS
}
# On PostgreSQL the ready-made rows of every type share one table, keyed by digest or fingerprint.
_MATERIALIZED_CREDENTIALS = PreparedQuery(lambda keys: materialized_credential_rows().filter(key__any=keys), keys=[str])


def load_credentials(wanted: dict[str, dict[str, object]]) -> dict:
    """`wanted` maps a credential type to {a key it may be stored under: what the caller calls it}; what
    was found, keyed by the caller's names. One query on PostgreSQL, one per credential type elsewhere."""
    found = {}
    if reads_materialized():
        keys = sorted({key for known_as in wanted.values() for key in known_as})
        for row in _MATERIALIZED_CREDENTIALS.rows(keys=keys):
            key, loaded = credential_from_materialized_row(row)
            known_as = wanted.get(row[0], {})
            if key in known_as:  # not a credential of another type that was asked for
                found[known_as[key]] = loaded
        return found
    for kind, known_as in wanted.items():
        for row in _CREDENTIALS[kind].rows(keys=sorted(known_as)):
            key, loaded = credential_from_query_row(kind, row)
            found[known_as[key]] = loaded
    return found


def load_token(plaintext: str) -> LoadedCredential | None:
    """A personal access token by its plaintext; None if malformed (no query) or unknown."""
    kind = credentials.parse_kind(plaintext)
    if kind not in PERSONAL_TOKEN_TYPES:
        return None
    return load_credentials({kind: dict.fromkeys(credentials.candidate_digests(plaintext), plaintext)}).get(plaintext)
