"""The enterprise credentials inventory: every credential of its members as one list (behaviour §5.1).

The three tables are read with the same columns and joined with UNION ALL, so
filtering, sorting, counting and paging are one query each whatever the number
of credentials; the organizations a classic token or SSH key reaches are read
for the shown page only. Listed: what can reach the enterprise or asks to — a
fine-grained token with a grant or a pending request in its organization, a
classic token or SSH key neither revoked, deleted nor revoked by the enterprise.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import CharField, Count, DateTimeField, Exists, F, JSONField, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Concat
from psycopg import ClientCursor

from enterprises.audit_log.selectors import FORMULA_STARTS
from organizations.models import Membership, Organization, User
from tokens.choices import CredentialType, RequestStatus
from tokens.engine.catalogue import LEVEL_WORDS, PERMISSIONS
from tokens.models import AccessRequest, ClassicToken, EnterpriseCredentialRevocation, FineGrainedToken, Grant, SSHKey

KINDS = (CredentialType.FINE_GRAINED, CredentialType.CLASSIC, CredentialType.SSH_KEY)
UNUSED_DAYS = 90  # the summary's "unused for more than 90 days"
WEEKS = 12  # the summary's "expiring per week"
CSV_CHUNK = 2000

# Sort keys the page offers → the union's columns; the kind and id break ties, so pages never overlap.
ORDERS = {
    "created": "c_created",
    "expires": "c_expires",
    "last_used": "c_last_used",
    "holder": "c_holder",
    "type": "c_kind",
}


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    organization_id: int | None = None
    expiring_within: int | None = None  # days
    unused_for: int | None = None  # days
    permission: str = ""  # a fine-grained permission's name, or "scope:<classic scope>"
    search: str = ""
    order: str = "-created"


@dataclass
class Row:
    """One credential of the list, with what the page and the CSV say about it."""

    kind: str
    pk: int
    holder: str
    label: str
    grants: object  # a fine-grained token's {permission: level}, a classic token's scopes, None for a key
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    organizations: list[str]

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}"

    @property
    def type_name(self) -> str:
        return CredentialType(self.kind).label


def held_by(users: Q) -> Q:
    """The credentials of the users `users` selects, for `holders`: each of its OR-ed conditions (members
    of the organizations, managed users) a set of users, and the sets united. PostgreSQL estimates a
    union's users about right and looks their credentials up by index; an OR it takes for half the
    users, and reads every credential to hash-join them."""
    assert not users.negated and (users.connector == Q.OR or len(users.children) == 1), "a union of conditions"
    sets = [User.objects.filter(Q(condition)).values("pk") for condition in users.children]
    return Q(user__in=sets[0].union(*sets[1:]))


def _columns(kind, *, label, grants, organization_login, expires, last_used):
    return {
        "c_kind": Value(kind.value, output_field=CharField()),
        "c_id": F("pk"),
        "c_user": F("user_id"),
        "c_holder": F("user__username"),
        "c_label": label,
        "c_grants": grants,
        "c_org_login": organization_login,
        "c_created": F("created_at"),
        "c_expires": expires,
        "c_last_used": last_used,
    }


# The union's columns (the keys of `_columns`), in this order in every part.
COLUMNS = (
    "c_kind",
    "c_id",
    "c_user",
    "c_holder",
    "c_label",
    "c_grants",
    "c_org_login",
    "c_created",
    "c_expires",
    "c_last_used",
)


def _none(field):
    return Value(None, output_field=field)


def _fine_grained(enterprise, holders, filters: Filters):
    in_its_organization = {"token": OuterRef("pk"), "organization": OuterRef("resource_owner_organization")}
    holds = Grant.objects.filter(revoked_at__isnull=True, **in_its_organization)
    asks = AccessRequest.objects.filter(status=RequestStatus.PENDING, **in_its_organization)
    tokens = FineGrainedToken.objects.filter(
        holders,
        Exists(holds) | Exists(asks),
        resource_owner_organization__enterprise=enterprise,
        revoked_at__isnull=True,
    )
    if filters.organization_id is not None:
        tokens = tokens.filter(resource_owner_organization=filters.organization_id)
    if filters.permission:
        tokens = tokens.filter(permissions__has_key=filters.permission)
    if filters.search:
        tokens = tokens.filter(Q(name__icontains=filters.search) | Q(user__username__icontains=filters.search))
    return tokens.annotate(
        **_columns(
            CredentialType.FINE_GRAINED,
            label=F("name"),
            grants=F("permissions"),
            organization_login=F("resource_owner_organization__login"),
            expires=F("expires_at"),
            last_used=F("last_used_at"),
        )
    )


def _of_holders(model, field, enterprise, holders, filters: Filters):
    """Classic tokens or SSH keys of the enterprise's members that the enterprise has not revoked."""
    revoked = EnterpriseCredentialRevocation.objects.filter(enterprise=enterprise, **{field: OuterRef("pk")})
    credentials = model.objects.filter(holders).exclude(Exists(revoked))
    if filters.organization_id is not None:
        member = Membership.objects.filter(user=OuterRef("user"), organization=filters.organization_id)
        credentials = credentials.filter(Exists(member))
    return credentials


def _classic(enterprise, holders, filters: Filters, *, may_read_notes: bool):
    tokens = _of_holders(ClassicToken, "classic_token", enterprise, holders, filters).filter(revoked_at__isnull=True)
    if filters.permission:
        # A JSON list holds the scope as a quoted string on every backend.
        tokens = tokens.filter(scopes__icontains=f'"{filters.permission.removeprefix("scope:")}"')
    if filters.search:
        found = Q(user__username__icontains=filters.search)
        if may_read_notes:
            found |= Q(note__icontains=filters.search)
        tokens = tokens.filter(found)
    # The note is the holder's words: owners see the masked token (as in the classic token admin).
    label = F("note") if may_read_notes else Concat(Value(ClassicToken.PREFIX + "…"), F("last_four"))
    return tokens.annotate(
        **_columns(
            CredentialType.CLASSIC,
            label=label,
            grants=F("scopes"),
            organization_login=_none(CharField()),
            expires=F("expires_at"),
            last_used=F("last_used_at"),
        )
    )


def _ssh_keys(enterprise, holders, filters: Filters):
    keys = _of_holders(SSHKey, "ssh_key", enterprise, holders, filters).filter(deleted_at__isnull=True)
    if filters.search:
        keys = keys.filter(Q(title__icontains=filters.search) | Q(user__username__icontains=filters.search))
    return keys.annotate(
        **_columns(
            CredentialType.SSH_KEY,
            label=F("title"),
            grants=_none(JSONField()),
            organization_login=_none(CharField()),
            expires=_none(DateTimeField()),
            last_used=_none(DateTimeField()),
        )
    )


def _wanted_kinds(filters: Filters) -> set[str]:
    kinds = {filters.kind} if filters.kind else set(KINDS)
    if filters.permission:
        kinds &= {CredentialType.CLASSIC} if filters.permission.startswith("scope:") else {CredentialType.FINE_GRAINED}
    if filters.expiring_within is not None or filters.unused_for is not None:
        kinds -= {CredentialType.SSH_KEY}  # keys neither expire nor record their use
    return kinds


def _dated(queryset, filters: Filters, now):
    if filters.expiring_within is not None:
        queryset = queryset.filter(expires_at__gt=now, expires_at__lte=now + timedelta(days=filters.expiring_within))
    if filters.unused_for is not None:
        queryset = queryset.filter(_unused_since(now - timedelta(days=filters.unused_for)))
    return queryset


def _unused_since(moment) -> Q:
    # Since its last use, or else since its secret was issued (a regenerated token starts again).
    return Q(last_used_at__lt=moment) | Q(last_used_at__isnull=True, issued_at__lt=moment)


def _typed_parts(enterprise, holders, filters: Filters, *, now, may_read_notes: bool) -> list[tuple]:
    """The wanted types' `.values()` querysets, each with its type, in the order of `KINDS`."""
    kinds = _wanted_kinds(filters)
    parts = []
    if CredentialType.FINE_GRAINED in kinds:
        parts.append((CredentialType.FINE_GRAINED, _dated(_fine_grained(enterprise, holders, filters), filters, now)))
    if CredentialType.CLASSIC in kinds:
        classic = _classic(enterprise, holders, filters, may_read_notes=may_read_notes)
        parts.append((CredentialType.CLASSIC, _dated(classic, filters, now)))
    if CredentialType.SSH_KEY in kinds:
        parts.append((CredentialType.SSH_KEY, _ssh_keys(enterprise, holders, filters)))
    return [(kind, part.values(*COLUMNS)) for kind, part in parts]


def _parts(enterprise, holders, filters: Filters, *, now, may_read_notes: bool) -> list:
    return [part for _, part in _typed_parts(enterprise, holders, filters, now=now, may_read_notes=may_read_notes)]


def credentials(enterprise, *, holders: Q, filters: Filters, now, may_read_notes: bool = False):
    """The enterprise's credentials as one ordered union of `.values()` rows (one query to read, one to count).

    `holders` says who the enterprise's members are (enterprises.selectors.enterprise_users).
    """
    parts = _parts(enterprise, holders, filters, now=now, may_read_notes=may_read_notes)
    if not parts:
        return FineGrainedToken.objects.none().values(*COLUMNS)
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    name = filters.order.lstrip("-")
    column = ORDERS.get(name, ORDERS["created"])
    descending = filters.order.startswith("-")
    if descending:
        ordering = [F(column).desc(nulls_last=True), F("c_kind").desc(), F("c_id").desc()]
    else:
        ordering = [F(column).asc(nulls_last=True), F("c_kind").asc(), F("c_id").asc()]
    return union.order_by(*ordering)


def in_inventory(enterprise, *, holders: Q, wanted: dict[str, set[int]], now, may_read_notes: bool = False) -> list:
    """Those of the `wanted` ids (by type) that are in the inventory, as its rows: one query per type asked."""
    found = []
    for kind, ids in wanted.items():
        if ids:
            parts = _parts(enterprise, holders, Filters(kind=kind), now=now, may_read_notes=may_read_notes)
            found += [value for part in parts for value in part.filter(pk__in=ids)]
    return found


def unused_tokens(enterprise, *, holders: Q, kind: str, unused_before):
    """The inventory's fine-grained or classic tokens last used (or, never used, issued) before `unused_before`.

    Each as `pk` and `unused_since`, the moment its unused spell began; the
    setting "revoke tokens unused for N days" walks these (behaviour §5.1).
    """
    if kind == CredentialType.FINE_GRAINED:
        tokens = _fine_grained(enterprise, holders, Filters())
    else:
        tokens = _classic(enterprise, holders, Filters(), may_read_notes=False)
    return tokens.annotate(unused_since=Coalesce("last_used_at", "issued_at")).filter(unused_since__lt=unused_before)


MODELS = {
    CredentialType.FINE_GRAINED: FineGrainedToken,
    CredentialType.CLASSIC: ClassicToken,
    CredentialType.SSH_KEY: SSHKey,
}


def credential_objects(values) -> list:
    """The credentials behind inventory rows, for the services."""
    ids = defaultdict(list)
    for value in values:
        ids[value["c_kind"]].append(value["c_id"])
    return [credential for kind in ids for credential in MODELS[kind].objects.filter(pk__in=ids[kind]).order_by("pk")]


def rows(values, *, enterprise) -> list[Row]:
    """The page's rows, with the organizations of the enterprise each classic token's or key's holder belongs to."""
    values = list(values)
    holders = {value["c_user"] for value in values if value["c_kind"] != CredentialType.FINE_GRAINED}
    organizations = defaultdict(list)
    memberships = Membership.objects.filter(user__in=holders, organization__enterprise=enterprise)
    for user_id, login in memberships.order_by("organization__login").values_list("user", "organization__login"):
        organizations[user_id].append(login)
    return [_row(value, organizations) for value in values]


def _row(value, organizations) -> Row:
    fine_grained = value["c_kind"] == CredentialType.FINE_GRAINED
    return Row(
        kind=value["c_kind"],
        pk=value["c_id"],
        holder=value["c_holder"],
        label=value["c_label"],
        grants=value["c_grants"],
        created_at=value["c_created"],
        expires_at=value["c_expires"],
        last_used_at=value["c_last_used"],
        organizations=[value["c_org_login"]] if fine_grained else organizations.get(value["c_user"], []),
    )


# --- The summary at the top -----------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    by_type: dict[str, int]  # kind → count
    expiring_per_week: list[int]  # the next WEEKS weeks, from now
    unused: int  # tokens unused for more than UNUSED_DAYS days

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


def summary(enterprise, *, holders: Q, now) -> Summary:
    """The counts and the charts' numbers for the whole inventory: one aggregate query per credential type."""
    weeks = {
        f"week_{index}": Count(
            "pk",
            filter=Q(expires_at__gt=now + timedelta(weeks=index), expires_at__lte=now + timedelta(weeks=index + 1)),
        )
        for index in range(WEEKS)
    }
    unused = Count("pk", filter=_unused_since(now - timedelta(days=UNUSED_DAYS)))
    everything = Filters()
    tokens = {
        CredentialType.FINE_GRAINED: _fine_grained(enterprise, holders, everything),
        CredentialType.CLASSIC: _of_holders(ClassicToken, "classic_token", enterprise, holders, everything).filter(
            revoked_at__isnull=True
        ),
    }
    by_type, per_week, unused_count = {}, [0] * WEEKS, 0
    for kind, queryset in tokens.items():
        counts = queryset.aggregate(total=Count("pk"), unused=unused, **weeks)
        by_type[kind.value] = counts["total"]
        unused_count += counts["unused"]
        per_week = [total + counts[f"week_{index}"] for index, total in enumerate(per_week)]
    by_type[CredentialType.SSH_KEY.value] = _ssh_keys(enterprise, holders, everything).count()
    return Summary(by_type=by_type, expiring_per_week=per_week, unused=unused_count)


# --- CSV -------------------------------------------------------------------------------------


def chunks(enterprise, *, holders: Q, filters: Filters, now, may_read_notes: bool = False):
    """The filtered list, CSV_CHUNK rows at a time: each type read by one query whose rows arrive a chunk at a
    time (a server-side cursor on PostgreSQL), so memory stays flat and the members are matched once, not per chunk."""
    for part in _parts(enterprise, holders, filters, now=now, may_read_notes=may_read_notes):
        batch = []
        for value in part.order_by("pk").iterator(chunk_size=CSV_CHUNK):
            batch.append(value)
            if len(batch) == CSV_CHUNK:
                yield rows(batch, enterprise=enterprise)
                batch = []
        if batch:
            yield rows(batch, enterprise=enterprise)


# --- CSV written by PostgreSQL ------------------------------------------------------------------
#
# The same list and the same cells as `chunks` and the view's Python CSV, but every word is
# computed in SQL and PostgreSQL writes the CSV itself (`COPY … TO STDOUT`): Python only passes
# the records on, so the export runs at the database's speed with memory flat. Only our own SQL and
# Django's compiled queries are formatted into the statements; every value is a parameter.

# A CSV cell as `csv_cell` makes it (a formula's first character quoted); an empty cell is NULL,
# which COPY writes unquoted, as Python's csv writer does (an empty string it would write as "").
_CELL = "NULLIF(CASE WHEN left({0}, 1) = ANY(%s) THEN '''' || {0} ELSE {0} END, '')"

# `datetime.isoformat()` of the UTC moment: its microseconds only when it has some.
_ISO = (
    "to_char({0} AT TIME ZONE 'UTC', CASE WHEN date_trunc('second', {0}) = {0}"
    ' THEN \'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\' ELSE \'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\' END)'
)

# A JSON value as Python's str() of it writes it (a level that is not one of the catalogue's).
_PYTHON_TEXT = (
    "CASE jsonb_typeof({0}) WHEN 'string' THEN {0} #>> '{{}}' WHEN 'null' THEN 'None'"
    " WHEN 'boolean' THEN initcap({0}::text) ELSE {0}::text END"
)

# A fine-grained token's permissions as `permission_list` words them: "Contents (read-only)" in
# the catalogue's order, then any other name as "name:level", sorted by code point. A lateral
# join, so PostgreSQL can word each distinct set of permissions once (Memoize), not every row.
_PERMISSION_WORDS = f"""LATERAL (
    SELECT string_agg(
        CASE WHEN permission.title IS NULL OR level.words IS NULL
            THEN entry.key || ':' || {_PYTHON_TEXT.format("entry.value")}
            ELSE permission.title || ' (' || level.words || ')' END,
        '; ' ORDER BY permission.position, entry.key COLLATE "C") AS access
    FROM jsonb_each(CASE WHEN jsonb_typeof(part.c_grants) = 'object' THEN part.c_grants END) AS entry
    LEFT JOIN unnest(%s::text[], %s::text[]) WITH ORDINALITY AS permission(name, title, position)
        ON permission.name = entry.key
    LEFT JOIN unnest(%s::text[], %s::text[]) AS level(name, words) ON level.name = entry.value #>> '{{}}'
)"""  # noqa: S608  # nosec B608

# A classic token's scopes, in their order.
_SCOPE_WORDS = """LATERAL (
    SELECT string_agg(scope.value #>> '{}', '; ' ORDER BY scope.position) AS access
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(part.c_grants) = 'array' THEN part.c_grants END)
        WITH ORDINALITY AS scope(value, position)
)"""


def _reached_sql() -> str:
    """Each member's organizations of the enterprise (one parameter: the enterprise), as `rows` lists them."""
    membership, organization = Membership._meta, Organization._meta
    return f"""(
    SELECT membership.user_id, string_agg(organization.login, '; ' ORDER BY organization.login) AS logins
    FROM {membership.db_table} AS membership
    JOIN {organization.db_table} AS organization ON organization.id = membership.organization_id
    WHERE organization.enterprise_id = %s
    GROUP BY membership.user_id
)"""  # noqa: S608  # nosec B608


def _copy_statement(kind, part, enterprise) -> tuple[str, list]:
    """`COPY` of one type's part as CSV records, ordered as `chunks` orders them (by id)."""
    part_sql, part_params = part.order_by().query.sql_with_params()
    starts = list(FORMULA_STARTS)
    params: list = [CredentialType(kind).label, starts, starts, starts, starts, *part_params]
    if kind == CredentialType.FINE_GRAINED:
        access, reached = "words.access", "part.c_org_login"
        joined = f"CROSS JOIN {_PERMISSION_WORDS} AS words"
        params += [list(PERMISSIONS), [permission.title for permission in PERMISSIONS.values()]]
        params += [list(LEVEL_WORDS), list(LEVEL_WORDS.values())]
    else:
        access = "words.access" if kind == CredentialType.CLASSIC else "NULL::text"
        reached = "reached.logins"
        joined = f"LEFT JOIN {_reached_sql()} AS reached ON reached.user_id = part.c_user"
        params.append(enterprise.pk)
        if kind == CredentialType.CLASSIC:
            joined += f" CROSS JOIN {_SCOPE_WORDS} AS words"
    cells = ", ".join(
        [
            "%s",
            "c_id",
            *(_CELL.format(column) for column in ("c_holder", "c_label", "access", "reached")),
            *(_ISO.format(column) for column in ("created", "expires", "last_used")),
        ]
    )
    # The casts type an SSH key's NULL dates, which the subquery would otherwise read as text.
    sql = f"""COPY (
    SELECT {cells}
    FROM (
        SELECT part.c_id, part.c_holder, part.c_label, {access} AS access, {reached} AS reached,
            part.c_created::timestamptz AS created, part.c_expires::timestamptz AS expires,
            part.c_last_used::timestamptz AS last_used
        FROM ({part_sql}) AS part {joined}
    ) AS credential
    ORDER BY c_id
) TO STDOUT WITH (FORMAT csv)"""  # noqa: S608  # nosec B608
    return sql, params


def csv_records(enterprise, *, holders: Q, filters: Filters, now, may_read_notes: bool = False):
    """PostgreSQL only: the CSV of `chunks`' rows as the view writes it, in blocks of CSV_CHUNK records (bytes).

    PostgreSQL ends a record with LF and Python's csv writer with CRLF: each record arrives alone
    (one COPY message), so its last byte is the end of the record, never a newline in a cell."""
    parts = _typed_parts(enterprise, holders, filters, now=now, may_read_notes=may_read_notes)
    with connection.cursor() as cursor:
        # COPY takes no server-side parameters, and Django's debug cursor passes on none: merged here.
        merging = ClientCursor(connection.connection)
        for kind, part in parts:
            with cursor.copy(merging.mogrify(*_copy_statement(kind, part, enterprise))) as copy:
                block = []
                for record in copy:
                    block.append(record[:-1])
                    if len(block) == CSV_CHUNK:
                        yield b"\r\n".join(block) + b"\r\n"
                        block = []
                if block:
                    yield b"\r\n".join(block) + b"\r\n"
