"""Build the large world: 1M tokens, 10k organizations, 100k pending requests, with COPY.

    .venv/bin/python bench/run.py --world large            # builds it (once), then measures
    .venv/bin/python bench/run.py --world large --build-only

Benchmark data only, written straight into the product's real tables with
PostgreSQL's COPY (psycopg's `cursor.copy`), in one transaction, with the
shapes the services produce. Column lists come from the models, so a column
added to a model with a default is filled without touching this file; one
without a default makes the build stop and name it.

The world, for the defaults (`tokens`, `organizations`, `requests`):

- 200,000 users, each a member of one organization, five tokens each: three
  fine-grained (for their organization; every fifth on two selected
  repositories) and two classic — 1,000,000 tokens;
- 10,000 organizations, 20 repositories each, half of them in 100
  enterprises; org0 is large (5% of the users, so ~30,000 fine-grained tokens,
  ~5,000 pending requests and ~25,000 active grants), the others ~20 members;
- every sixth fine-grained token waits on a pending request (100,000); the
  others hold a grant (500,000);
- 1,000,000 django-oauth-toolkit access tokens of the same users.

Only the sampled tokens get plaintexts from `tokens.engine.credentials.generate`:
the 4,000 (`sample`) the warm checks come back to, and 40,000 others (`cold`,
at most one per repository of an organization, so `org0` gives 20) that the
cold checks cycle over, one check each, across 40,000 repositories. Every other
token is stored under the keyed digest of a random string: nothing will ever
present it, and its row and index entries are the same size.
"""

import hashlib
import json
import random
import secrets

from django.contrib.auth.models import Permission
from django.db import connection, models, transaction
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from oauthlib.common import generate_token
from psycopg import sql

from bench.world import (
    SELECTED_EVERY,
    TOKEN_PERMISSIONS,
    PageOwner,
    World,
    cold_checks,
    dot_applications,
    dot_bearer,
    owner_token,
    random_checks,
)
from enterprises.models import Enterprise
from organizations.models import Membership, Organization, OrganizationPermission, Repository, User
from tokens.choices import CredentialType
from tokens.engine import credentials
from tokens.models import AccessRequest, ClassicToken, FineGrainedToken, Grant

FINE_GRAINED_PER_USER = 3
CLASSIC_PER_USER = 2
TOKENS_PER_USER = FINE_GRAINED_PER_USER + CLASSIC_PER_USER
REPOSITORIES_PER_ORGANIZATION = 20
ORGANIZATIONS_PER_ENTERPRISE = 50
LARGE_ORGANIZATION_SHARE = 20  # org0 has one user in 20


def _copy(cursor, model, fields: list[str], rows, *, now) -> int:
    """COPY rows (tuples in `fields` order) into `model`'s table; other columns get their defaults."""
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    constant_fields, constants = [], []
    for field in meta.concrete_fields:
        if field in given or (field.primary_key and isinstance(field, AutoFieldMixin)):
            continue
        if field.has_default() or (field.empty_strings_allowed and not field.null):
            value = field.get_db_prep_save(field.get_default(), connection)
        elif isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            value = now
        elif field.null:
            continue
        else:
            raise ValueError(f"{meta.label}.{field.name} needs a value")
        constant_fields.append(field)
        constants.append(value)
    columns = [field.column for field in given + constant_fields]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row((*row, *constants))
            count += 1
    return count


def _next_id(cursor, model) -> int:
    cursor.execute(sql.SQL("SELECT coalesce(max(id), 0) + 1 FROM {}").format(sql.Identifier(model._meta.db_table)))
    return cursor.fetchone()[0]


def _reset_sequences(cursor, tables) -> None:
    for table in tables:
        cursor.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), (SELECT max(id) FROM {}))").format(
                sql.Literal(table), sql.Identifier(table)
            )
        )


@transaction.atomic
def build(
    *,
    tokens: int = 1_000_000,
    organizations: int = 10_000,
    requests: int = 100_000,
    sample: int = 4_000,
    cold: int = 40_000,
    seed: int = 7,
) -> World:
    from oauth2_provider.models import AccessToken

    rng = random.Random(seed)
    now = timezone.now()
    users = tokens // TOKENS_PER_USER
    large_members = users // LARGE_ORGANIZATION_SHARE
    if users - large_members < organizations - 1:
        raise ValueError("too few tokens for that many organizations: each needs one member")
    fine_grained_total = users * FINE_GRAINED_PER_USER
    pending_every = max(1, fine_grained_total // max(1, requests))

    def home(user: int) -> int:
        return 0 if user < large_members else 1 + (user - large_members) % (organizations - 1)

    def owner_of(organization: int) -> int:
        return 0 if organization == 0 else large_members + organization - 1

    def holder(index: int) -> int:
        """The user of token `index`: 0 … fine_grained_total-1 are fine-grained, three a user; the rest classic."""
        if index < fine_grained_total:
            return index // FINE_GRAINED_PER_USER
        return (index - fine_grained_total) // CLASSIC_PER_USER

    written = {}
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own, for COPY
        base = {model: _next_id(cursor, model) for model in (Enterprise, Organization, User, Repository)}

        enterprises = max(1, organizations // (2 * ORGANIZATIONS_PER_ENTERPRISE))
        written["enterprises"] = _copy(
            cursor,
            Enterprise,
            ["id", "slug", "name", "fine_grained_opted_in"],
            ((base[Enterprise] + e, f"bench{e}", f"Bench {e}", True) for e in range(enterprises)),
            now=now,
        )

        def enterprise_of(organization: int) -> int | None:
            in_one = organization == 0 or organization % 2 == 1
            return base[Enterprise] + (organization // 2) % enterprises if in_one else None

        def org_id(organization: int) -> int:
            return base[Organization] + organization

        written["organizations"] = _copy(
            cursor,
            Organization,
            [
                "id",
                "login",
                "name",
                "enterprise",
                "fine_grained_opted_in",
                "fine_grained_approval",
                "classic_access",
                "base_permission",
            ],
            (
                (
                    org_id(o),
                    f"org{o}",
                    f"Org {o}",
                    enterprise_of(o),
                    True,
                    "require" if o == 0 or o % 3 else "not_required",
                    "restrict" if o % 5 == 0 and o else "allow",
                    "write",
                )
                for o in range(organizations)
            ),
            now=now,
        )
        written["users"] = _copy(
            cursor,
            User,
            ["id", "username", "email", "password"],
            ((base[User] + u, f"user{u}", f"user{u}@example.com", "!") for u in range(users)),
            now=now,
        )
        written["memberships"] = _copy(
            cursor,
            Membership,
            ["user", "organization"],
            ((base[User] + u, org_id(home(u))) for u in range(users)),
            now=now,
        )
        owned = Permission.objects.get(codename="own_organization").pk
        written["ownerships"] = _copy(
            cursor,
            OrganizationPermission,
            ["user", "permission", "content_object"],
            ((base[User] + owner_of(o), owned, org_id(o)) for o in range(organizations)),
            now=now,
        )

        def repository_id(organization: int, number: int) -> int:
            return base[Repository] + organization * REPOSITORIES_PER_ORGANIZATION + number

        def repositories():
            for o in range(organizations):
                choices = ["private", "private", "public"] + (["internal"] if enterprise_of(o) else [])
                for r in range(REPOSITORIES_PER_ORGANIZATION):
                    yield repository_id(o, r), org_id(o), enterprise_of(o), f"repo{r}", rng.choice(choices)

        written["repositories"] = _copy(
            cursor,
            Repository,
            ["id", "owner_organization", "enterprise", "name", "visibility"],
            repositories(),
            now=now,
        )

        # Tokens: indices 0 … fine_grained_total-1 are fine-grained (user = index // 3), the rest classic.
        total = users * TOKENS_PER_USER
        sampled = set(rng.sample(range(total), min(sample, total)))
        # The cold checks' tokens: others, at most one per repository of their organization.
        cold_sampled, taken = set(), {}
        for index in rng.sample(range(total), min(total, 2 * cold)):
            organization = home(holder(index))
            if index in sampled or taken.get(organization, 0) == REPOSITORIES_PER_ORGANIZATION:
                continue
            cold_sampled.add(index)
            taken[organization] = taken.get(organization, 0) + 1
            if len(cold_sampled) == cold:
                break
        plaintexts: list[tuple[str, str]] = []
        cold_plaintexts: list[tuple[str, str]] = []
        expires = now + timezone.timedelta(days=30)

        def stored(index: int, kind, login: str) -> tuple[str, int, str]:
            if index in sampled or index in cold_sampled:
                plaintext = credentials.generate(kind)
                (plaintexts if index in sampled else cold_plaintexts).append((plaintext, login))
            else:
                plaintext = secrets.token_hex(16)
            digest = credentials.digest(plaintext)
            return digest.value, digest.pepper_id, plaintext[-4:]

        fine_grained_base = _next_id(cursor, FineGrainedToken)
        permissions = json.dumps(TOKEN_PERMISSIONS)

        def fine_grained_rows():
            for t in range(fine_grained_total):
                user = t // FINE_GRAINED_PER_USER
                organization = home(user)
                access = "selected" if t % SELECTED_EVERY == SELECTED_EVERY - 1 else "all"
                yield (
                    fine_grained_base + t,
                    base[User] + user,
                    f"bench{t % FINE_GRAINED_PER_USER}",
                    org_id(organization),
                    access,
                    permissions,
                    expires,
                    *stored(t, CredentialType.FINE_GRAINED, f"org{organization}"),
                )

        token_fields = ["digest", "pepper_id", "last_four"]
        written["fine-grained tokens"] = _copy(
            cursor,
            FineGrainedToken,
            [
                "id",
                "user",
                "name",
                "resource_owner_organization",
                "repository_access",
                "permissions",
                "expires_at",
                *token_fields,
            ],
            fine_grained_rows(),
            now=now,
        )

        def selected(t: int) -> list[int]:
            organization = home(t // FINE_GRAINED_PER_USER)
            first = t % REPOSITORIES_PER_ORGANIZATION
            return [repository_id(organization, first), repository_id(organization, (first + 1) % 20)]

        selected_tokens = range(SELECTED_EVERY - 1, fine_grained_total, SELECTED_EVERY)
        written["selected repositories"] = _copy(
            cursor,
            FineGrainedToken.repositories.through,
            ["finegrainedtoken", "repository"],
            ((fine_grained_base + t, r) for t in selected_tokens for r in selected(t)),
            now=now,
        )

        classic_base = _next_id(cursor, ClassicToken)

        def classic_rows():
            for c in range(users * CLASSIC_PER_USER):
                user = c // CLASSIC_PER_USER
                index = fine_grained_total + c
                yield (
                    classic_base + c,
                    base[User] + user,
                    f"bench{c % CLASSIC_PER_USER}",
                    '["repo"]',
                    *stored(index, CredentialType.CLASSIC, f"org{home(user)}"),
                )

        written["classic tokens"] = _copy(
            cursor, ClassicToken, ["id", "user", "note", "scopes", *token_fields], classic_rows(), now=now
        )

        def snapshot(t: int) -> tuple[str, str, str]:
            if t % SELECTED_EVERY == SELECTED_EVERY - 1:
                return "selected", json.dumps(selected(t)), permissions
            return "all", "[]", permissions

        def created(t: int):
            return now - timezone.timedelta(seconds=fine_grained_total - t)

        pending = [t for t in range(fine_grained_total) if t % pending_every == pending_every - 1][:requests]
        pending_set = set(pending)
        written["pending requests"] = _copy(
            cursor,
            AccessRequest,
            ["token", "organization", "repository_access", "repository_ids", "permissions", "created_at"],
            (
                (fine_grained_base + t, org_id(home(t // FINE_GRAINED_PER_USER)), *snapshot(t), created(t))
                for t in pending
            ),
            now=now,
        )
        written["grants"] = _copy(
            cursor,
            Grant,
            ["token", "organization", "repository_access", "repository_ids", "permissions", "granted_at"],
            (
                (fine_grained_base + t, org_id(home(t // FINE_GRAINED_PER_USER)), *snapshot(t), created(t))
                for t in range(fine_grained_total)
                if t not in pending_set
            ),
            now=now,
        )

        # django-oauth-toolkit: as many access tokens, of the same users.
        issuer, resource_server = dot_applications()
        dot_tokens = []

        def dot_rows():
            for index in range(users * TOKENS_PER_USER):
                if index in sampled:
                    value = generate_token()
                    dot_tokens.append(value)
                else:
                    value = secrets.token_urlsafe(22)
                user = holder(index)
                checksum = hashlib.sha256(value.encode()).hexdigest()
                yield base[User] + user, issuer.pk, value, checksum, "read write", expires

        written["DOT access tokens"] = _copy(
            cursor,
            AccessToken,
            ["user", "application", "token", "token_checksum", "scope", "expires"],
            dot_rows(),
            now=now,
        )
        written["DOT access tokens"] += 1
        bearer = dot_bearer(resource_server)

        _reset_sequences(
            cursor,
            [
                model._meta.db_table
                for model in (
                    Enterprise,
                    Organization,
                    User,
                    Membership,
                    OrganizationPermission,
                    Repository,
                    FineGrainedToken,
                    FineGrainedToken.repositories.through,
                    ClassicToken,
                    AccessRequest,
                    Grant,
                )
            ],
        )

    pages = []
    for organization, label in ((0, "the largest organization"), (1, "a typical organization")):
        owner = User.objects.get(pk=base[User] + owner_of(organization))
        pages.append(
            PageOwner(
                organization=f"org{organization}",
                owner=owner.username,
                token=owner_token(user=owner, organization=Organization.objects.get(pk=org_id(organization)), now=now),
                label=label,
            )
        )
    print(
        "  wrote " + ", ".join(f"{count:,} {what}" for what, count in written.items()),
        flush=True,
    )
    return World(
        checks=random_checks(rng, plaintexts, repositories_per_organization=REPOSITORIES_PER_ORGANIZATION),
        cold_checks=cold_checks(
            rng, cold_plaintexts, repositories_per_organization=REPOSITORIES_PER_ORGANIZATION, cycles=1
        ),
        patrol_tokens=[plaintext for plaintext, _ in plaintexts],
        dot_tokens=dot_tokens,
        dot_bearer=bearer,
        pages=pages,
    )
