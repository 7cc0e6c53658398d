"""Load the parts of many checks' facts in a fixed number of queries.

A batch of 100 checks loaded one by one would cost 100 queries. Here each kind
of part is fetched once for the whole batch: credentials by key, each row with
its user's standing, then resources by name. On PostgreSQL that is two
queries, from the rows materialized by tokens.engine.materialized_credentials
and tokens.engine.materialized_resources (one query for every credential
type, one for every resource kind); elsewhere one query per credential type
and per resource kind, at most seven. Whatever the batch's size, and only for
the parts the caller does not hold. Rows go through the single loader's readers
(tokens.engine.facts), so the facts are the same;
tests/properties/test_batch_equals_singles.py proves batch decisions equal
single ones. The refresher reloads held parts through the same loaders.
"""

from collections import defaultdict

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.expressions import RawSQL

from enterprises.models import Enterprise
from organizations.models import Organization, Repository, User

from ..lookups import array_parameter
from ..models import MaterializedResource
from .catalogue import ResourceKind
from .facts import (
    RESOURCE_FIELDS,
    CheckInput,
    CredentialKey,
    ResourceKey,
    credential_keys_for,
    load_check,
    load_credentials,
    materialized_name,
    parse_resource,
    resource_from_materialized,
    resource_from_row,
    resource_kind,
    resource_lookup,
)
from .prepared import PreparedQuery, statement_cursor


def _repository_ids(logins, names) -> RawSQL:
    """Ids of the repositories named by (owner login, name) pairs, matched exactly.

    The pairs are joined on the (owner, name) indexes: filtering by owners and
    names separately would fetch their cross product, and a hundred OR-ed
    pairs cost the ORM more to compile than the database to answer. PostgreSQL
    gets the pairs as two array literals (one statement for every batch size), other
    databases as a VALUES list.
    """
    repository, organization, user = (model._meta.db_table for model in (Repository, Organization, User))
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        wanted = "unnest(%s::text[], %s::text[]) AS wanted(column1, column2)"
        params = [array_parameter(logins), array_parameter(names)]
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


_RESOURCES = {
    ResourceKind.REPOSITORY: PreparedQuery(
        lambda owners, names: Repository.objects.filter(pk__in=_repository_ids(owners, names)).values_list(
            *RESOURCE_FIELDS[ResourceKind.REPOSITORY]
        ),
        owners=[str],
        names=[str],
    ),
    ResourceKind.ORGANIZATION: PreparedQuery(
        lambda owners: Organization.objects.filter(login__any=owners).values_list(
            *RESOURCE_FIELDS[ResourceKind.ORGANIZATION]
        ),
        owners=[str],
    ),
    ResourceKind.ACCOUNT: PreparedQuery(
        lambda owners: User.objects.filter(username__any=owners).values_list(*RESOURCE_FIELDS[ResourceKind.ACCOUNT]),
        owners=[str],
    ),
    ResourceKind.ENTERPRISE: PreparedQuery(
        lambda owners: Enterprise.objects.filter(slug__any=owners).values_list(
            *RESOURCE_FIELDS[ResourceKind.ENTERPRISE]
        ),
        owners=[str],
    ),
}


def _found_under(kind: ResourceKind, row: dict) -> tuple[str, str]:
    """The (owner, name) of `resource_lookup` that a loaded row answers."""
    if kind == ResourceKind.REPOSITORY:
        return row["owner_organization__login"] or row["owner_user__username"], row["name"]
    if kind == ResourceKind.ENTERPRISE:
        return row["slug"], ""
    return (row["login"] if kind == ResourceKind.ORGANIZATION else row["username"]), ""


def _materialized_rows(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The materialized rows (JSON text) of (kind, name) pairs, by pair: one query for every kind.

    The pairs are joined on the (kind, name) index, as two arrays: one statement for every batch size.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    table = connection.ops.quote_name(MaterializedResource._meta.db_table)
    # Only the table's name is interpolated; values travel as parameters.
    sql = (
        f'SELECT m.kind, m.name, m."row" FROM {table} m'  # noqa: S608  # nosec B608
        " JOIN unnest(%s::text[], %s::text[]) AS wanted(kind, name) ON m.kind = wanted.kind AND m.name = wanted.name"
    )
    with statement_cursor(connection) as cursor:
        cursor.execute(
            sql, [array_parameter([kind for kind, _ in pairs]), array_parameter([name for _, name in pairs])]
        )
        return {(kind, name): row for kind, name, row in cursor.fetchall()}


def _load_materialized(wanted: dict) -> dict:
    """PostgreSQL: the resources `wanted` names, from their materialized rows (tokens.engine.materialized_resources)."""
    names = {(kind, lookup): materialized_name(*lookup) for kind, lookups in wanted.items() for lookup in lookups}
    rows = _materialized_rows([(str(kind), name) for (kind, _), name in names.items()])
    found = {}
    for (kind, lookup), name in names.items():
        row = rows.get((str(kind), name))
        for key in wanted[kind][lookup]:
            found[key] = resource_from_materialized(kind, key[1], row)
    return found


def _load_normalized(wanted: dict) -> dict:
    """The resources `wanted` names, from their own tables: one query per kind."""
    found = {}
    for kind, lookups in wanted.items():
        pairs = sorted(lookups)
        owners = [owner for owner, _ in pairs]
        if kind == ResourceKind.REPOSITORY:
            rows = _RESOURCES[kind].rows(owners=owners, names=[name for _, name in pairs])
        else:
            rows = _RESOURCES[kind].rows(owners=owners)
        fields = RESOURCE_FIELDS[kind]
        by_lookup = {}
        for values in rows:
            by_lookup[_found_under(kind, dict(zip(fields, values, strict=True)))] = values
        for lookup, lookup_keys in lookups.items():
            for key in lookup_keys:
                found[key] = resource_from_row(kind, key[1], by_lookup.get(lookup))
    return found


def wanted_resources(keys) -> dict:
    """kind -> {(owner, name) to look up: [the keys naming it]}."""
    wanted = defaultdict(dict)
    for key in keys:
        _, text, kind = key
        kind = ResourceKind(kind)
        wanted[kind].setdefault(resource_lookup(parse_resource(text), kind), []).append(key)
    return wanted


def load_resources(keys) -> dict:
    """The resource each key names, existing or not: on PostgreSQL from the materialized rows, one query
    for every kind; elsewhere from the resources' own tables, one query per kind."""
    wanted = wanted_resources(keys)
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return _load_materialized(wanted)
    return _load_normalized(wanted)


def load_credentials_by_key(keys) -> dict:
    """The credentials named by `keys` (tokens.engine.facts.credential_key); None for those not found."""
    wanted = defaultdict(dict)
    for key in keys:
        _, credential_type, stored_under = key
        wanted[credential_type][stored_under] = key
    found = load_credentials(wanted)
    return {key: found.get(key) for key in keys}


def load_parts(
    checks: list[CheckInput], keys, credentials: dict, resources: dict, stored_under: dict | None = None
) -> tuple[dict, dict]:
    """The parts `checks` need that `credentials` and `resources` do not hold: (credentials, resources) loaded.

    One query for a single check missing both parts, one per missing kind of
    part otherwise. A credential not found is loaded as None; the resource of
    a check without a credential is not needed. `stored_under`: what
    `check_keys` filled in, so no token is hashed twice.
    """
    stored_under = stored_under or {}
    new_credentials, new_resources = {}, {}
    wanted = {}  # credential key -> a plaintext or fingerprint it was given as
    for check, (credential, _) in zip(checks, keys, strict=True):
        if credential is not None and credential not in credentials:
            wanted.setdefault(credential, check)
    if len(checks) == 1 and wanted and keys[0][1] not in resources:
        [(credential, check)] = wanted.items()
        loaded, resource = load_check(
            credential[1],
            check.credential_value,
            check.resource,
            resource_kind(check.resource, check.permission),
            stored_under=stored_under.get(credential),
        )
        new_credentials[credential] = loaded
        if loaded is not None:
            new_resources[keys[0][1]] = resource
        return new_credentials, new_resources
    if wanted:
        by_type = defaultdict(dict)
        for credential, check in wanted.items():
            candidates = stored_under.get(credential) or credential_keys_for(credential[1], check.credential_value)
            for candidate in candidates:
                by_type[credential[1]][candidate] = credential
        found = load_credentials(by_type)
        new_credentials = {credential: found.get(credential) for credential in wanted}
    missing = {
        resource
        for credential, resource in keys
        if credential is not None
        and resource not in resources
        and (credentials.get(credential) or new_credentials.get(credential)) is not None
    }
    if missing:
        new_resources = load_resources(missing)
    return new_credentials, new_resources


def reload_held(keys: list) -> dict:
    """Held parts loaded again by their keys: key -> credential (or None, no longer found) or resource.

    A key names a token by its digest under the current pepper, so a token
    stored under an older one is not found here; the cache drops it, and the
    next check loads it from its plaintext.
    """
    credential_keys: list[CredentialKey] = [key for key in keys if key[0] == "credential"]
    resource_keys: list[ResourceKey] = [key for key in keys if key[0] == "resource"]
    reloaded = {}
    if credential_keys:
        reloaded.update(load_credentials_by_key(credential_keys))
    if resource_keys:
        reloaded.update(load_resources(resource_keys))
    return reloaded
