"""Resources' check facts, materialized on PostgreSQL and kept current by triggers (issue 17).

Why. A cold check's resource part was the normalized `facts.resource_queryset`:
the repository joined to its owner organization, that organization's
enterprise and the policies staged on either, with subselects on logins —
~60 µs of PostgreSQL for one check, ~25 µs a check in a batch. Here each
resource that exists has one `MaterializedResource` row: its name as a check
names it (``owner/repo``, a login, an enterprise's slug) and, as a JSON array,
exactly the values `resource_queryset` selects, in `RESOURCE_FIELDS` order
(no resource field is a datetime; one would be ISO text). A check reads it by
(kind, name), one index lookup, and `facts.resource_from_materialized` gives
facts equal to today's. A missing row is a resource that does not exist.

Triggers, not Django signals, keep the rows current: a queryset `.update()`,
a `bulk_create`, a cascade, a data migration and psql all write through
PostgreSQL, and none of them sends a signal. The triggers are generated from
the ORM, the same fields compiled by Django's compiler (literals inlined by
psycopg's `ClientCursor.mogrify`), so the rows cannot drift from the query they
replace; tests/tokens/engine/test_materialized_resources.py compares the two.

What a write recomputes. Each row records what it was computed from
(`repository_id`, `organization_id`, `enterprise_id`, `user_id`); a write
deletes the rows computed from what it changed and inserts them recomputed:
a repository, its row (its old name goes with it); an organization, its row
and its repositories' (a renamed login renames them all); an enterprise, its
row, its organizations' and their repositories'; a user, their account and
their own repositories; a staged policy, its organization's or enterprise's.
An update that changes no column the query reads (a user's `last_login`, a
policy revision) recomputes nothing: `UPDATE OF` those columns, and a WHEN
clause. A TRUNCATE recomputes the kinds that read the table (after a flush:
none are left).

Lock, then recompute. Under READ COMMITTED two transactions could each
recompute a row from a snapshot missing the other's change, the last to write
winning with stale facts. So each recompute first takes transaction-level
advisory locks: the organizations and users it is about, in sorted order, then
the enterprises — those named and those the organizations belong to, read once
the organizations' locks are held (moving an organization takes its lock, so
what is read cannot be moving), in sorted order. Any two writes a row depends
on share a lock (a repository's row: its organization and enterprise, or its
user), so the second recomputes after the first commits; each statement of a
plpgsql function takes a fresh snapshot, and sees that commit. Order holds
within one write; a transaction writing an enterprise and then one of its
organizations, beside one writing them the other way round, can still
deadlock, as their row locks could, and PostgreSQL rolls one back.

Installed at `post_migrate` (tokens/apps.py), PostgreSQL only, and only when
the generated SQL differs from what is installed (its digest is the refresh
function's comment): the functions are replaced, the triggers created and
every row rebuilt, in one transaction whose CREATE TRIGGERs hold writers off
until it commits. Before migrations run the functions and triggers are
dropped: a trigger's column list would stop a migration altering those
columns, and the rebuild afterwards takes in what was written meanwhile.
World builders that load with triggers off call `rebuild()`.
"""

import hashlib
from collections import defaultdict

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F, Value
from django.db.models.fields.related import ForeignObjectRel
from django.db.models.functions import Coalesce, Concat, JSONArray

from enterprises.models import Enterprise
from organizations.models import Organization, Repository, User
from policies.models import StagedPolicy

from ..models import MaterializedResource
from .catalogue import ResourceKind
from .facts import RESOURCE_FIELDS
from .materialized_credentials import table_ready

MODELS = {
    ResourceKind.REPOSITORY: Repository,
    ResourceKind.ORGANIZATION: Organization,
    ResourceKind.ACCOUNT: User,
    ResourceKind.ENTERPRISE: Enterprise,
}
# The name `resource_queryset` finds a resource by (logins are unique across users and organizations).
NAMES = {
    ResourceKind.REPOSITORY: Concat(Coalesce("owner_organization__login", "owner_user__username"), Value("/"), "name"),
    ResourceKind.ORGANIZATION: F("login"),
    ResourceKind.ACCOUNT: F("username"),
    ResourceKind.ENTERPRISE: F("slug"),
}
# What each kind's row is computed from: MaterializedResource's column -> the path to it.
SOURCES = {
    ResourceKind.REPOSITORY: {
        "repository_id": "id",
        "organization_id": "owner_organization_id",
        "enterprise_id": "owner_organization__enterprise_id",
        "user_id": "owner_user_id",
    },
    ResourceKind.ORGANIZATION: {"organization_id": "id", "enterprise_id": "enterprise_id"},
    ResourceKind.ACCOUNT: {"user_id": "id"},
    ResourceKind.ENTERPRISE: {"enterprise_id": "id"},
}
# A write to a row of each table: whose locks it takes and whose rows it recomputes (each a column of its row).
# "organizations" and "users" are locked, then "enterprises" with the organizations' own enterprises.
WRITES = {
    Repository: {
        "lock": {"organizations": "owner_organization_id", "users": "owner_user_id"},
        "recompute": {"repositories": "id"},
    },
    Organization: {
        "lock": {"organizations": "id", "enterprises": "enterprise_id"},
        "recompute": {"organizations": "id"},
    },
    Enterprise: {"lock": {"enterprises": "id"}, "recompute": {"enterprises": "id"}},
    User: {"lock": {"users": "id"}, "recompute": {"users": "id"}},
    StagedPolicy: {
        "lock": {"organizations": "organization_id", "enterprises": "enterprise_id"},
        "recompute": {"organizations": "organization_id", "enterprises": "enterprise_id"},
    },
}
# The refresh function's parameters, and the source column each one names.
CHANGED = {
    "repositories": "repository_id",
    "organizations": "organization_id",
    "users": "user_id",
    "enterprises": "enterprise_id",
}
LOCK_FUNCTION = "patrol_lock_resources"
REFRESH_FUNCTION = "patrol_refresh_resources"
REBUILD_FUNCTION = "patrol_rebuild_resources"
TRUNCATED_FUNCTION = "patrol_resources_truncated"
REFRESH_SIGNATURE = f"{REFRESH_FUNCTION}(bigint[], bigint[], bigint[], bigint[])"


def source_queryset(kind: ResourceKind):
    """Every resource of `kind`: its name, its row (`RESOURCE_FIELDS[kind]` as a JSON array) and its sources."""
    return (
        MODELS[kind]
        .objects.order_by()
        .values(
            materialized_name=NAMES[kind],
            materialized_row=JSONArray(*RESOURCE_FIELDS[kind]),
            **{f"source_{column}": F(path) for column, path in SOURCES[kind].items()},
        )
    )


def tables_read(kind: ResourceKind) -> dict[type, set[str]]:
    """The columns of each table `kind`'s row is computed from: its fields, the joins to them, its sources."""
    read = defaultdict(set)
    for path in (*RESOURCE_FIELDS[kind], *SOURCES[kind].values()):
        model = MODELS[kind]
        *relations, last = path.split("__")
        for name in relations:
            field = model._meta.get_field(name)
            if isinstance(field, ForeignObjectRel):  # a reverse one-to-one, joined on the other table's column
                model = field.related_model
                read[model].add(field.field.column)
            else:
                read[model].add(field.column)
                model = field.related_model
                read[model].add(field.target_field.column)
        read[model].add(model._meta.get_field(last).column)
    return read


def columns_read() -> dict[type, set[str]]:
    """The columns of each table any materialized row is computed from."""
    read = defaultdict(set)
    for kind in ResourceKind:
        for model, columns in tables_read(kind).items():
            read[model] |= columns
    return dict(read)


class _Sql:
    """The statements for one PostgreSQL connection.

    Only names from the models (quoted) and values psycopg quoted are put
    into them, hence the `noqa: S608`s.
    """

    def __init__(self, connection):
        self.ops = connection.ops
        self.quote = connection.ops.quote_name
        self.table = self.quote(MaterializedResource._meta.db_table)

    def literal(self, value) -> str:
        return self.ops.compose_sql("%s", [value])

    def insert(self, kind: ResourceKind, where: str = "") -> str:
        """Insert `kind`'s rows (those `where` keeps).

        One row per name, and a row already under the name replaced: a user
        and an organization share a login only behind the services' back, and a
        trigger failing on it would fail that write.
        """
        sql, params = source_queryset(kind).query.sql_with_params()
        sources = list(SOURCES[kind])
        columns = ", ".join(self.quote(column) for column in ("kind", "name", "row", *sources))
        values = "".join(f", resource.{self.quote('source_' + column)}" for column in sources)
        replaced = ", ".join(
            f"{self.quote(column)} = EXCLUDED.{self.quote(column)}" for column in ("row", *CHANGED.values())
        )
        return (
            f"INSERT INTO {self.table} ({columns})"  # noqa: S608  # nosec B608
            f" SELECT DISTINCT ON (resource.materialized_name) {self.literal(str(kind))},"
            f" resource.materialized_name, resource.materialized_row::text{values}"
            f" FROM ({self.ops.compose_sql(sql, params)}) AS resource {where}"
            f" ON CONFLICT ({self.quote('kind')}, {self.quote('name')}) DO UPDATE SET {replaced}"
        )

    def lock_function(self) -> str:
        organizations = self.quote(Organization._meta.db_table)
        enterprise = self.quote(Organization._meta.get_field("enterprise").column)
        key = self.quote(Organization._meta.pk.column)
        return f"""CREATE OR REPLACE FUNCTION {LOCK_FUNCTION}(
    organizations bigint[], users bigint[], enterprises bigint[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    key bigint;
BEGIN
    -- In sorted order: two transactions wanting the same locks queue rather than deadlock.
    FOR key IN
        SELECT DISTINCT hashtextextended(owner, 0) FROM (
            SELECT 'organization:' || id AS owner FROM unnest(organizations) AS id
            UNION ALL SELECT 'user:' || id FROM unnest(users) AS id
        ) AS owners ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(key);
    END LOOP;
    -- Read under the organizations' locks: whoever moves an organization holds its lock.
    FOR key IN
        SELECT DISTINCT hashtextextended('enterprise:' || id, 0) FROM (
            SELECT unnest(enterprises) AS id
            UNION ALL SELECT {enterprise} FROM {organizations} WHERE {key} = ANY(organizations)
        ) AS wanted WHERE id IS NOT NULL ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(key);
    END LOOP;
END $$"""  # noqa: S608  # nosec B608

    def refresh_function(self) -> str:
        """Delete the rows computed from what changed; insert them recomputed (each kind by each source it has)."""
        stale = " OR ".join(f"{self.quote(column)} = ANY(changed_{changed})" for changed, column in CHANGED.items())
        statements = [f"DELETE FROM {self.table} WHERE {stale};"]  # noqa: S608  # nosec B608
        for changed, column in CHANGED.items():
            where = f"WHERE resource.{self.quote('source_' + column)} = ANY(changed_{changed})"
            inserts = "\n".join(f"{self.insert(kind, where)};" for kind in ResourceKind if column in SOURCES[kind])
            statements.append(f"IF cardinality(changed_{changed}) > 0 THEN\n{inserts}\nEND IF;")
        parameters = ", ".join(f"changed_{changed} bigint[]" for changed in CHANGED)
        body = "\n".join(statements)
        return f"""CREATE OR REPLACE FUNCTION {REFRESH_FUNCTION}({parameters})
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
{body}
END $$"""  # nosec B608

    def rebuild_function(self) -> str:
        inserts = "\n".join(
            f"IF {self.literal(str(kind))} = ANY(kinds) THEN\n{self.insert(kind)};\nEND IF;" for kind in ResourceKind
        )
        return f"""CREATE OR REPLACE FUNCTION {REBUILD_FUNCTION}(kinds text[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
DELETE FROM {self.table} WHERE {self.quote("kind")} = ANY(kinds);
{inserts}
END $$"""  # noqa: S608  # nosec B608

    def truncated_function(self) -> str:
        return f"""CREATE OR REPLACE FUNCTION {TRUNCATED_FUNCTION}()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM {REBUILD_FUNCTION}(TG_ARGV);
    RETURN NULL;
END $$"""  # nosec B608

    def written_function(self, model) -> str:
        """A written row's trigger function: lock, then recompute, by the row's old and new values."""
        written = WRITES[model]

        def ids(columns: dict, parameter: str) -> str:
            if parameter not in columns:
                return "'{}'::bigint[]"
            column = self.quote(columns[parameter])
            return f"array_remove(ARRAY[OLD.{column}, NEW.{column}]::bigint[], NULL)"

        lock = ", ".join(ids(written["lock"], parameter) for parameter in ("organizations", "users", "enterprises"))
        recompute = ", ".join(ids(written["recompute"], parameter) for parameter in CHANGED)
        return f"""CREATE OR REPLACE FUNCTION {written_function_name(model)}()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM {LOCK_FUNCTION}({lock});
    PERFORM {REFRESH_FUNCTION}({recompute});
    RETURN NULL;
END $$"""  # nosec B608

    def triggers(self, model, columns: set[str]) -> list[str]:
        """Row triggers for inserts, deletes and updates of `columns` that change them; a TRUNCATE trigger."""
        table = self.quote(model._meta.db_table)
        function = written_function_name(model)
        names = [self.quote(column) for column in sorted(columns)]
        old = ", ".join(f"OLD.{name}" for name in names)
        new = ", ".join(f"NEW.{name}" for name in names)
        kinds = ", ".join(self.literal(str(kind)) for kind in ResourceKind if model in tables_read(kind))
        return [
            f"DROP TRIGGER IF EXISTS patrol_resources_written ON {table}",
            f"CREATE TRIGGER patrol_resources_written AFTER INSERT OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"DROP TRIGGER IF EXISTS patrol_resources_updated ON {table}",
            f"CREATE TRIGGER patrol_resources_updated AFTER UPDATE OF {', '.join(names)} ON {table}"
            f" FOR EACH ROW WHEN (ROW({old}) IS DISTINCT FROM ROW({new})) EXECUTE FUNCTION {function}()",
            f"DROP TRIGGER IF EXISTS patrol_resources_truncated ON {table}",
            f"CREATE TRIGGER patrol_resources_truncated AFTER TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {TRUNCATED_FUNCTION}({kinds})",
        ]

    def install(self) -> list[str]:
        statements = [self.lock_function(), self.refresh_function(), self.rebuild_function(), self.truncated_function()]
        for model, columns in columns_read().items():
            statements.append(self.written_function(model))
            statements.extend(self.triggers(model, columns))
        return statements

    def rebuild(self) -> list[str]:
        return [f"DELETE FROM {self.table}", *(self.insert(kind) for kind in ResourceKind)]  # noqa: S608  # nosec B608


def written_function_name(model) -> str:
    return f"patrol_resources_{model._meta.db_table}"


def uninstall_statements() -> list[str]:
    functions = [
        f"{LOCK_FUNCTION}(bigint[], bigint[], bigint[])",
        REFRESH_SIGNATURE,
        f"{REBUILD_FUNCTION}(text[])",
        f"{TRUNCATED_FUNCTION}()",
        *(f"{written_function_name(model)}()" for model in WRITES),
    ]
    # CASCADE: each trigger goes with its function.
    return [f"DROP FUNCTION IF EXISTS {function} CASCADE" for function in functions]


def _digest(statements: list[str]) -> str:
    return "patrol " + hashlib.sha256("\n;\n".join(statements).encode()).hexdigest()


def _installed_digest(cursor) -> str | None:
    cursor.execute("SELECT obj_description(to_regprocedure(%s), 'pg_proc')", [REFRESH_SIGNATURE])
    return cursor.fetchone()[0]


def install(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Install the functions and triggers and rebuild every row, unless what is installed is this code's.

    True if it installed. In one transaction: each CREATE TRIGGER holds its
    table's writers off until the rebuild has committed.
    """
    connection = connections[using]
    statements = _Sql(connection).install()
    digest = _digest(statements)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if _installed_digest(cursor) == digest:
            return False
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(f"COMMENT ON FUNCTION {REFRESH_SIGNATURE} IS {_Sql(connection).literal(digest)}")
        for statement in _Sql(connection).rebuild():
            cursor.execute(statement)
    return True


def uninstall(using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop the functions and their triggers; the rows stay until the next install rebuilds them."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        for statement in uninstall_statements():
            cursor.execute(statement)


def rebuild(using: str = DEFAULT_DB_ALIAS) -> None:
    """Every row computed again: one statement per kind. For loaders that wrote with the triggers off."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        for statement in _Sql(connections[using]).rebuild():
            cursor.execute(statement)


def drop_before_migrating(sender, using=DEFAULT_DB_ALIAS, plan=None, **kwargs) -> None:
    """pre_migrate: a trigger naming a column would stop a migration altering it; post_migrate reinstalls."""
    if connections[using].vendor == "postgresql" and plan:
        uninstall(using)


def install_after_migrating(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate: install what this code generates (and rebuild), or drop it if the table is not there."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if table_ready(MaterializedResource, connection):
        install(using)
    else:
        uninstall(using)
