# ruff: noqa: S608  # SQL built from the models' own table and column names; values are literals mogrified by psycopg
"""Credentials' check facts, materialized on PostgreSQL and kept current by triggers.

A cold check's credential query (tokens.engine.facts `credential_queryset`)
joins the token to its user, its grant and latest request, and aggregates the
user's standing from four more tables: a dozen plan nodes that cost a single
cold check more than everything else in it. On PostgreSQL each credential's
row of that query is therefore kept ready in `MaterializedCredential`, as a
JSON array, and a cold check reads one row by its key.

What keeps the rows true:

- **The query itself.** `install()` compiles `credential_queryset` with
  Django's own compiler into a PL/pgSQL function that recomputes the rows of
  the given users; so a row is by construction what the query would return.
  It runs after every `migrate` (post_migrate) and does nothing when the
  compiled SQL is the one installed; when it changed, every row is rebuilt.
  A `migrate` that has migrations to apply drops the functions and triggers
  first (pre_migrate), so it installs them again, and rebuilds, after.
- **Triggers on every table the query reads**, in the writing transaction
  (so the writer's next check reads its own change): tokens, SSH keys, users,
  memberships, ownerships, grants, requests, revocations, token repository
  selections, organizations and enterprises. Each works out whose credentials
  the written row touches and recomputes them. They fire for queryset
  updates, bulk inserts and raw SQL alike, which signals would not. A write
  no row shows (a token's last use, a user's last login) recomputes nothing;
  the last use is copied to its own column instead.
- **Lock, then recompute.** Two transactions changing facts of one user (a
  membership here, a grant there) would each recompute from a snapshot
  without the other's change, and the last to write would win with stale
  facts. So a recompute first takes a transaction-scoped advisory lock per
  user, in id order; under READ COMMITTED the recompute that waited then sees
  what the other committed. A full rebuild takes them all at once.

Bulk loaders may switch the triggers off and rebuild once when done
(tokens.engine.materialized, as the benchmark's world builders do). SQLite has none of
this: there the check reads the tables themselves.
"""

import hashlib

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

from enterprises.models import Enterprise, EnterprisePermission
from organizations.models import Membership, Organization, OrganizationPermission, User

from ..models import (
    AccessRequest,
    ClassicToken,
    EnterpriseCredentialRevocation,
    FineGrainedToken,
    Grant,
    MaterializedCredential,
    SSHKey,
)
from .facts import FIELDS, credential_queryset

REFRESH = "patrol_refresh_credentials"
REBUILD = "patrol_rebuild_credentials"
# The first key of the advisory locks: the second is the user's id (a full rebuild: -1).
LOCK_SPACE = 0x7A7C


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def _literal_sql(queryset) -> str:
    """The queryset's SQL with its parameters written in as literals (for a function body)."""
    return connection.ops.compose_sql(*queryset.query.sql_with_params())


def _rows_sql(kind: str, users: str | None) -> str:
    """INSERT-ready rows (key, type, user id, row, last use) of `kind`'s credentials; of the users in the
    SQL array expression `users`, or of everyone."""
    queryset = credential_queryset(kind)
    if users is not None:
        queryset = queryset.filter(Q(user_id__in=RawSQL(f"SELECT unnest({users})", ())))  # noqa: S611  # nosec B611
    fields = FIELDS[kind]
    columns = [f"c{index}" for index in range(len(fields) + 1)]  # the fields, then the key
    last_use = f"q.c{fields.index('last_used_at')}" if "last_used_at" in fields else "NULL"
    return (
        f"SELECT q.{columns[-1]}, '{kind}', q.c{fields.index('user_id')},"  # nosec B608
        f" json_build_array({', '.join('q.' + column for column in columns[:-1])})::text, {last_use}"
        f" FROM ({_literal_sql(queryset)}) AS q({', '.join(columns)})"
    )


def _all_rows_sql(users: str | None) -> str:
    target = _table(MaterializedCredential)
    rows = " UNION ALL ".join(_rows_sql(kind, users) for kind in FIELDS)
    return f"INSERT INTO {target} (key, credential_type, user_id, row, last_used_at) {rows};"


def _functions_sql() -> str:
    target = _table(MaterializedCredential)
    return (
        f"CREATE OR REPLACE FUNCTION {REFRESH}(user_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $body$\n"  # nosec B608
        f"""BEGIN
    user_ids := ARRAY(SELECT DISTINCT id FROM unnest(user_ids) AS id WHERE id IS NOT NULL ORDER BY id);
    IF cardinality(user_ids) = 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock_shared({LOCK_SPACE}, -1);
    PERFORM pg_advisory_xact_lock({LOCK_SPACE}, (id % 2147483647)::int) FROM unnest(user_ids) AS id;
    DELETE FROM {target} WHERE user_id = ANY(user_ids);
    {_all_rows_sql("user_ids")}
END
$body$;

CREATE OR REPLACE FUNCTION {REBUILD}() RETURNS void LANGUAGE plpgsql AS $body$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK_SPACE}, -1);
    DELETE FROM {target};
    {_all_rows_sql(None)}
END
$body$;
"""
    )


# Whose credentials a written row touches: (model, columns whose change matters or None for all,
# SQL giving the user ids from the trigger's row `r`).
def _touched() -> list[tuple]:
    fine_grained = _table(FineGrainedToken)
    token_users = f"SELECT user_id FROM {fine_grained} WHERE id = r.{{column}}"  # nosec B608
    membership = _table(Membership)
    selections = FineGrainedToken.repositories.through
    revocation = EnterpriseCredentialRevocation
    organization_users = (
        f"SELECT user_id FROM {membership} WHERE organization_id = r.id"  # nosec B608
        f" UNION SELECT user_id FROM {_table(OrganizationPermission)} WHERE content_object_id = r.id"
        f" UNION SELECT user_id FROM {fine_grained} WHERE resource_owner_organization_id = r.id"
    )
    enterprise_users = (
        f"SELECT m.user_id FROM {membership} m JOIN {_table(Organization)} o ON o.id = m.organization_id"  # nosec B608
        f" WHERE o.enterprise_id = r.id"
        f" UNION SELECT user_id FROM {_table(EnterprisePermission)} WHERE content_object_id = r.id"
        f" UNION SELECT t.user_id FROM {_table(revocation)} v JOIN {_table(ClassicToken)} t"
        f" ON t.id = v.classic_token_id WHERE v.enterprise_id = r.id"
        f" UNION SELECT k.user_id FROM {_table(revocation)} v JOIN {_table(SSHKey)} k"
        f" ON k.id = v.ssh_key_id WHERE v.enterprise_id = r.id"
    )
    credential_columns = {
        model: [field.column for field in model._meta.concrete_fields if field.name != "last_used_at"]
        for model in (FineGrainedToken, ClassicToken, SSHKey)
    }
    return [
        *((model, credential_columns[model], "SELECT r.user_id") for model in credential_columns),
        (User, ["username", "is_active"], "SELECT r.id"),
        (Membership, None, "SELECT r.user_id"),
        (OrganizationPermission, None, "SELECT r.user_id"),
        (EnterprisePermission, None, "SELECT r.user_id"),
        (Grant, None, token_users.format(column=_column(Grant, "token"))),
        (AccessRequest, None, token_users.format(column=_column(AccessRequest, "token"))),
        (selections, None, token_users.format(column="finegrainedtoken_id")),
        (
            revocation,
            None,
            f"SELECT user_id FROM {_table(ClassicToken)} WHERE id = r.classic_token_id"  # nosec B608
            f" UNION SELECT user_id FROM {_table(SSHKey)} WHERE id = r.ssh_key_id",
        ),
        (Organization, ["login", "enterprise_id"], organization_users),
        (Enterprise, ["slug"], enterprise_users),
    ]


def _triggers_sql() -> str:
    statements = []
    for model, columns, users in _touched():
        table, name = _table(model), model._meta.db_table
        function = f"patrol_credentials_touched_{name}"
        statements.append(f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    touched bigint[] := '{{}}';
    r record;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        r := OLD;
        touched := touched || ARRAY({users});
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        r := NEW;
        touched := touched || ARRAY({users});
    END IF;
    PERFORM {REFRESH}(touched);
    RETURN NULL;
END
$body$;
DROP TRIGGER IF EXISTS patrol_credentials_touched ON {table};
CREATE TRIGGER patrol_credentials_touched AFTER INSERT OR DELETE OR UPDATE{
            " OF " + ", ".join(connection.ops.quote_name(column) for column in columns) if columns else ""
        } ON {table} FOR EACH ROW EXECUTE FUNCTION {function}();
DROP TRIGGER IF EXISTS patrol_credentials_truncated ON {table};
CREATE TRIGGER patrol_credentials_truncated AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION patrol_credentials_truncated();
""")
    target = _table(MaterializedCredential)
    last_use = (
        "CREATE OR REPLACE FUNCTION patrol_credentials_truncated() RETURNS trigger LANGUAGE plpgsql AS $body$\n"  # nosec B608
        f"""BEGIN
    PERFORM {REBUILD}();
    RETURN NULL;
END
$body$;

CREATE OR REPLACE FUNCTION patrol_credential_used() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    UPDATE {target} SET last_used_at = NEW.last_used_at WHERE key = NEW.digest;
    RETURN NULL;
END
$body$;
"""
    )
    for model in (FineGrainedToken, ClassicToken):
        table = _table(model)
        last_use += f"""
DROP TRIGGER IF EXISTS patrol_credential_used ON {table};
CREATE TRIGGER patrol_credential_used AFTER UPDATE OF last_used_at ON {table}
    FOR EACH ROW WHEN (NEW.last_used_at IS DISTINCT FROM OLD.last_used_at)
    EXECUTE FUNCTION patrol_credential_used();
"""
    return last_use + "".join(statements)


def installation_sql() -> str:
    return _functions_sql() + _triggers_sql()


def _functions() -> list[str]:
    return [
        f"{REFRESH}(bigint[])",
        f"{REBUILD}()",
        "patrol_credentials_truncated()",
        "patrol_credential_used()",
        *(f"patrol_credentials_touched_{model._meta.db_table}()" for model, _, _ in _touched()),
    ]


def table_ready(model, using_connection) -> bool:
    """Whether `model`'s table has the columns the code writes: a migrate may have taken it back."""
    table = model._meta.db_table
    with using_connection.cursor() as cursor:
        if table not in using_connection.introspection.table_names(cursor):
            return False
        found = {column.name for column in using_connection.introspection.get_table_description(cursor, table)}
    return {field.column for field in model._meta.concrete_fields} <= found


def install() -> bool:
    """Install (or bring up to date) the functions and triggers, and rebuild the rows if they changed.
    PostgreSQL only; whether anything changed. In one transaction: each CREATE TRIGGER holds its
    table's writers off until the rebuild has committed."""
    if connection.vendor != "postgresql":
        return False
    sql = installation_sql()
    digest = hashlib.sha256(sql.encode()).hexdigest()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(to_regprocedure(%s), 'pg_proc')", [f"{REBUILD}()"])
        if cursor.fetchone()[0] == digest:
            return False
        cursor.execute(sql)
        cursor.execute(f"SELECT {REBUILD}()")
        cursor.execute(f"COMMENT ON FUNCTION {REBUILD}() IS '{digest}'")  # hex digits only
    return True


def uninstall() -> None:
    """Drop the functions and, with them, their triggers; the rows stay until the next install rebuilds them."""
    with transaction.atomic(), connection.cursor() as cursor:
        for function in _functions():
            cursor.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")


def rebuild() -> None:
    """Recompute every row (after a load with triggers off)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {REBUILD}()")


def drop_before_migrating(sender, plan=None, **kwargs) -> None:
    """pre_migrate: a trigger naming a column would stop a migration altering it, and a function reading a
    column would fail on a row written while it is gone; post_migrate installs them again, with every row."""
    if connection.vendor == "postgresql" and plan:
        uninstall()


def install_after_migrating(sender, **kwargs) -> None:
    """post_migrate: install what this code generates (and rebuild), unless the table is not there."""
    if connection.vendor == "postgresql" and table_ready(MaterializedCredential, connection):
        install()
