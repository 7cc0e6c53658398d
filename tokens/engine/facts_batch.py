"""Load the facts for a whole batch of checks in a fixed number of queries.

`tokens.engine.facts.load_facts` spends two queries on one check; a batch of 100
would spend 200. Here every kind of fact is fetched once for the whole batch:
credentials by digest (one query per credential type), resources by name (one
query per resource kind), then ownership, membership, enterprise membership,
enterprise ownership and repository selection for the users and places
involved — at most twelve queries whatever the batch's size. Rows go through
the single loader's readers (tokens.engine.facts), so the facts are the same;
tests/tokens/api/test_check_batch.py proves batch decisions equal single ones.
"""

from collections import defaultdict

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.expressions import RawSQL

from enterprises.models import Enterprise, EnterprisePermission
from organizations.models import Membership, Organization, OrganizationPermission, Repository, User

from ..choices import CredentialType
from ..models import FineGrainedToken
from . import credentials
from .catalogue import ResourceKind
from .decision import Facts, RelationFacts, ResourceFacts
from .facts import (
    ENTERPRISE_FIELDS,
    FIELDS,
    ORGANIZATION_ROW,
    CheckInput,
    LoadedCredential,
    ResourceName,
    credential_from_row,
    credential_kind,
    credential_queryset,
    facts_for,
    parse_resource,
    prefixed,
    resource_from_row,
    resource_kind,
    with_credential,
)
from .prepared import PreparedQuery

# The single loader's rows, plus the ids this loader joins on.
ORGANIZATION_ROW_WITH_IDS = (*ORGANIZATION_ROW, "enterprise__id")
REPOSITORY_ROW = (
    "id",
    "name",
    "owner_user_id",
    "owner_user__username",
    "visibility",
    *prefixed(ORGANIZATION_ROW_WITH_IDS, "owner_organization__"),
)


def _credentials_query(kind, key_field):
    fields = (*FIELDS[kind], key_field)
    return PreparedQuery(
        lambda keys: credential_queryset(kind).filter(**{f"{key_field}__any": keys}).values_list(*fields),
        keys=[str],
    )


_CREDENTIALS = {
    CredentialType.FINE_GRAINED: _credentials_query(CredentialType.FINE_GRAINED, "digest"),
    CredentialType.CLASSIC: _credentials_query(CredentialType.CLASSIC, "digest"),
    CredentialType.SSH_KEY: _credentials_query(CredentialType.SSH_KEY, "fingerprint"),
}


def _load_credentials(known_as_by_kind) -> dict:
    """One query per credential type; what was found, keyed by what the caller knows each credential by.

    `known_as_by_kind` maps a credential type to {digest or fingerprint: the
    caller's name for it} — a plaintext's candidate digests all name that plaintext.
    """
    found = {}
    for kind, known_as in known_as_by_kind.items():
        for *row, key in _CREDENTIALS[kind].rows(keys=sorted(known_as)):
            found[known_as[key]] = credential_from_row(kind, dict(zip(FIELDS[kind], row, strict=True)))
    return found


def _resource_key(name: ResourceName, kind: ResourceKind) -> tuple:
    if kind == ResourceKind.REPOSITORY:
        return kind, (name.owner, name.repository)
    return kind, name.enterprise if kind == ResourceKind.ENTERPRISE else name.owner


def _repository_ids(logins, names) -> RawSQL:
    """Ids of the repositories named by (owner login, name) pairs, matched exactly.

    The pairs are joined on the (owner, name) indexes: filtering by owners and
    names separately would fetch their cross product, and a hundred OR-ed
    pairs cost the ORM more to compile than the database to answer. PostgreSQL
    gets the pairs as two arrays (one statement for every batch size), other
    databases as a VALUES list.
    """
    repository, organization, user = (model._meta.db_table for model in (Repository, Organization, User))
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        wanted, params = "unnest(%s::text[], %s::text[]) AS wanted(column1, column2)", [logins, names]
    else:
        wanted = f"(VALUES {', '.join(['(%s, %s)'] * len(logins))}) AS wanted"
        params = [item for pair in zip(logins, names, strict=True) for item in pair]
    # Only placeholders and table names are interpolated; values travel as parameters.
    sql = (
        f'SELECT r.id FROM "{repository}" r JOIN {wanted} ON r.name = wanted.column2'  # noqa: S608  # nosec B608
        f' JOIN "{organization}" o ON o.id = r.owner_organization_id AND o.login = wanted.column1'
        f' UNION ALL SELECT r.id FROM "{repository}" r JOIN {wanted} ON r.name = wanted.column2'
        f' JOIN "{user}" u ON u.id = r.owner_user_id AND u.username = wanted.column1'
    )
    return RawSQL(sql, params * 2)  # noqa: S611  # nosec B611  # values travel as parameters


_REPOSITORIES = PreparedQuery(
    lambda logins, names: Repository.objects.filter(pk__in=_repository_ids(logins, names)).values_list(*REPOSITORY_ROW),
    logins=[str],
    names=[str],
)
_ORGANIZATIONS = PreparedQuery(
    lambda logins: Organization.objects.filter(login__any=logins).values_list(*ORGANIZATION_ROW_WITH_IDS),
    logins=[str],
)
_USERS = PreparedQuery(
    lambda logins: User.objects.filter(username__any=logins).values_list("id", "username"), logins=[str]
)
_ENTERPRISES = PreparedQuery(
    lambda slugs: Enterprise.objects.filter(slug__any=slugs).values_list("id", *ENTERPRISE_FIELDS), slugs=[str]
)


def _as_dicts(fields, rows) -> list[dict]:
    return [dict(zip(fields, row, strict=True)) for row in rows]


def _load_resources(keys) -> dict[tuple, dict]:
    """One query per resource kind in the batch; rows keyed like `_resource_key`."""
    wanted = defaultdict(set)
    for kind, key in keys:
        wanted[kind].add(key)
    loaded = {}
    if wanted[ResourceKind.REPOSITORY]:
        pairs = sorted(wanted[ResourceKind.REPOSITORY])
        rows = _REPOSITORIES.rows(logins=[login for login, _ in pairs], names=[name for _, name in pairs])
        for row in _as_dicts(REPOSITORY_ROW, rows):
            owner = row["owner_organization__login"] or row["owner_user__username"]
            loaded[(ResourceKind.REPOSITORY, (owner, row["name"]))] = row
    if wanted[ResourceKind.ORGANIZATION]:
        rows = _ORGANIZATIONS.rows(logins=sorted(wanted[ResourceKind.ORGANIZATION]))
        for row in _as_dicts(ORGANIZATION_ROW_WITH_IDS, rows):
            loaded[(ResourceKind.ORGANIZATION, row["login"])] = row
    if wanted[ResourceKind.ACCOUNT]:
        for row in _as_dicts(("id", "username"), _USERS.rows(logins=sorted(wanted[ResourceKind.ACCOUNT]))):
            loaded[(ResourceKind.ACCOUNT, row["username"])] = row
    if wanted[ResourceKind.ENTERPRISE]:
        rows = _ENTERPRISES.rows(slugs=sorted(wanted[ResourceKind.ENTERPRISE]))
        for row in _as_dicts(("id", *ENTERPRISE_FIELDS), rows):
            loaded[(ResourceKind.ENTERPRISE, row["slug"])] = row
    return loaded


def _places(kind, row) -> tuple[int | None, int | None]:
    """The organization and enterprise a resource row belongs to."""
    if row is None or kind == ResourceKind.ACCOUNT:
        return None, None
    if kind == ResourceKind.ENTERPRISE:
        return None, row["id"]
    prefix = "owner_organization__" if kind == ResourceKind.REPOSITORY else ""
    return row[prefix + "id"], row[prefix + "enterprise__id"]


_OWNERS = PreparedQuery(
    lambda users, places: OrganizationPermission.objects.filter(
        user_id__any=users, content_object_id__any=places, permission__codename="own_organization"
    ).values_list("user_id", "content_object_id"),
    users=[int],
    places=[int],
)
_MEMBERS = PreparedQuery(
    lambda users, places: Membership.objects.filter(user_id__any=users, organization_id__any=places).values_list(
        "user_id", "organization_id"
    ),
    users=[int],
    places=[int],
)
_ENTERPRISE_MEMBERS = PreparedQuery(
    lambda users, places: (
        Membership.objects.filter(user_id__any=users, organization__enterprise_id__any=places)
        .values_list("user_id", "organization__enterprise_id")
        .distinct()
    ),
    users=[int],
    places=[int],
)
_ENTERPRISE_OWNERS = PreparedQuery(
    lambda users, places: EnterprisePermission.objects.filter(
        user_id__any=users, content_object_id__any=places, permission__codename="own_enterprise"
    ).values_list("user_id", "content_object_id"),
    users=[int],
    places=[int],
)
_SELECTED = PreparedQuery(
    lambda tokens, repositories: FineGrainedToken.repositories.through.objects.filter(
        finegrainedtoken_id__any=tokens, repository_id__any=repositories
    ).values_list("finegrainedtoken_id", "repository_id"),
    tokens=[int],
    repositories=[int],
)


class _Standing:
    """Who owns or belongs to what, for the users and places of one batch (≤ 5 queries)."""

    def __init__(self, organization_pairs, enterprise_pairs, token_repository_pairs):
        users = sorted({user for user, _ in organization_pairs | enterprise_pairs})
        organizations = sorted({organization for _, organization in organization_pairs})
        enterprises = sorted({enterprise for _, enterprise in enterprise_pairs})
        self.owners, self.members, self.enterprise_members, self.enterprise_owners, self.selected = (
            set(),
            set(),
            set(),
            set(),
            set(),
        )
        if organizations:
            self.owners = set(_OWNERS.rows(users=users, places=organizations))
            self.members = set(_MEMBERS.rows(users=users, places=organizations))
        if enterprises:
            self.enterprise_members = set(_ENTERPRISE_MEMBERS.rows(users=users, places=enterprises))
            self.enterprise_owners = set(_ENTERPRISE_OWNERS.rows(users=users, places=enterprises))
        if token_repository_pairs:
            self.selected = set(
                _SELECTED.rows(
                    tokens=sorted({token for token, _ in token_repository_pairs}),
                    repositories=sorted({repository for _, repository in token_repository_pairs}),
                )
            )

    def relation(self, kind, user, organization, enterprise, token_repository) -> RelationFacts:
        if kind == ResourceKind.ENTERPRISE:
            return RelationFacts(is_enterprise_owner=(user, enterprise) in self.enterprise_owners)
        return RelationFacts(
            is_organization_owner=(user, organization) in self.owners,
            is_organization_member=(user, organization) in self.members,
            is_enterprise_member=(user, enterprise) in self.enterprise_members,
            repository_selected=token_repository in self.selected,
        )


def _resources_and_relations(asks) -> list[tuple[ResourceFacts, RelationFacts] | None]:
    """For each (resource name, resource kind, loaded credential or None): the resource and
    the credential's standing towards it (None without a credential)."""
    keys = [_resource_key(name, kind) for name, kind, _ in asks]
    rows = _load_resources({key for key, (*_, credential) in zip(keys, asks, strict=True) if credential is not None})

    organization_pairs, enterprise_pairs, token_repository_pairs = set(), set(), set()
    for key, (*_, credential) in zip(keys, asks, strict=True):
        row = rows.get(key)
        if credential is None or row is None:
            continue
        organization, enterprise = _places(key[0], row)
        user = credential.facts.user_id
        if organization is not None:
            organization_pairs.add((user, organization))
        if enterprise is not None:
            enterprise_pairs.add((user, enterprise))
        if credential.facts.type == CredentialType.FINE_GRAINED and key[0] == ResourceKind.REPOSITORY:
            token_repository_pairs.add((credential.facts.id, row["id"]))
    standing = _Standing(organization_pairs, enterprise_pairs, token_repository_pairs)

    results = []
    for key, (name, _, credential) in zip(keys, asks, strict=True):
        if credential is None:
            results.append(None)
            continue
        row = rows.get(key)
        organization, enterprise = _places(key[0], row)
        fine_grained = credential.facts.type == CredentialType.FINE_GRAINED
        selectable = row is not None and fine_grained and key[0] == ResourceKind.REPOSITORY
        token_repository = (credential.facts.id, row["id"]) if selectable else None
        relation = standing.relation(key[0], credential.facts.user_id, organization, enterprise, token_repository)
        results.append((resource_from_row(key[0], name.text, row), relation))
    return results


def load_facts_many(checks: list[CheckInput], *, now) -> list[tuple[Facts, LoadedCredential | None]]:
    kinds = [credential_kind(check) for check in checks]
    known_as_by_kind = defaultdict(dict)
    for check, kind in zip(checks, kinds, strict=True):
        if kind == CredentialType.SSH_KEY:
            known_as_by_kind[kind][check.ssh_key_fingerprint] = check.ssh_key_fingerprint
        elif kind is not None:
            for digest in credentials.candidate_digests(check.token):
                known_as_by_kind[kind][digest] = check.token
    found = _load_credentials(known_as_by_kind)
    loaded = [found.get(check.credential_value) if kind else None for check, kind in zip(checks, kinds, strict=True)]
    asks = [
        (check.resource, resource_kind(check.resource, check.permission), credential)
        for check, credential in zip(checks, loaded, strict=True)
    ]
    results = []
    for check, kind, credential, held in zip(checks, kinds, loaded, _resources_and_relations(asks), strict=True):
        if credential is None:
            results.append((facts_for(check, None, None, None, now=now, malformed=kind is None), None))
        else:
            results.append((facts_for(check, credential, *held, now=now), credential))
    return results


def reload_held(keys: list[tuple]) -> dict[tuple, tuple]:
    """Facts the check cache holds, loaded again by its keys (tokens.engine.facts_cache.check_keys):
    key -> (loaded credential, resource, relation), as `tokens.engine.facts_cache` holds them.

    A key names a token by its digest under the current pepper, so a token
    stored under an older one is not found here; neither is a deleted
    credential. Keys whose credential is not found are left out: the cache
    drops them, and the next check loads them from its plaintext.
    """
    known_as_by_kind = defaultdict(dict)
    for credential_type, value, _, _ in keys:
        known_as_by_kind[credential_type][value] = (credential_type, value)
    found = _load_credentials(known_as_by_kind)
    asks = [
        (parse_resource(text), ResourceKind(kind), found.get((credential_type, value)))
        for credential_type, value, text, kind in keys
    ]
    reloaded = {}
    for key, (_, _, credential), held in zip(keys, asks, _resources_and_relations(asks), strict=True):
        if credential is not None:
            resource, relation = held
            reloaded[key] = (credential, resource, with_credential(relation, credential))
    return reloaded
