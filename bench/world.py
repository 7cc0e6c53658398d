"""Build the demo world scaled up for benchmarks, fast (bulk inserts).

Benchmark data only: rows are written in bulk instead of through the services,
but with the same shapes the services produce (ownership as guardian
permission rows, grants as approvals would leave them, keyed digests).

Besides Patrol's rows it writes what the comparison with django-oauth-toolkit
needs: one DOT access token per Patrol token (same users), and the resource
server's bearer token with DOT's `introspection` scope. Returns the fixture the
load generator and the probes replay (see `World`): the warm checks (three
per token, shuffled) and the cold checks (`cold_checks`), which cycle over
every token and every repository so that a cache the size of the cold
server's never holds what the next check needs.
"""

import hashlib
import random
from typing import TypedDict

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone
from oauthlib.common import generate_token

from enterprises.models import Enterprise
from organizations.models import Membership, Organization, OrganizationPermission, Repository, User
from tokens.choices import CredentialType
from tokens.engine import credentials
from tokens.models import AccessRequest, ClassicToken, FineGrainedToken, Grant

PERMISSIONS = ["contents:read", "contents:write", "issues:read", "pull_requests:write", "metadata:read"]
TOKEN_PERMISSIONS = {"contents": "write", "issues": "read", "metadata": "read"}
# What an owner's own token needs for the v3 list endpoints (auto-approved: an owner's).
OWNER_PERMISSIONS = {
    "organization_personal_access_token_requests": "write",
    "organization_personal_access_tokens": "write",
}
CHECKS_PER_TOKEN = 3
COLD_CYCLES = 3  # the demo world's cold checks: every token three times, each time on another repository
SELECTED_EVERY = 5  # every fifth fine-grained token is on two selected repositories


class PageOwner(TypedDict):
    organization: str  # login
    owner: str  # username, signed in for the site pages
    token: str  # the owner's fine-grained token, for the v3 endpoints
    label: str


class World(TypedDict):
    checks: list[dict]  # check bodies for /api/v1/access/check(-batch): the warm phases
    cold_checks: list[dict]  # as many cycles over far more tokens and repositories: the cold phases
    patrol_tokens: list[str]  # plaintexts, for Patrol's own introspection endpoint
    dot_tokens: list[str]  # DOT access tokens of the same users, for DOT's introspection
    dot_bearer: str  # the resource server's DOT token (scope "introspection")
    pages: list[PageOwner]  # organizations whose owner pages are timed


def secret_fields(kind) -> tuple[str, dict]:
    """A new token's plaintext and the fields stored for it (the product's own credentials module)."""
    plaintext = credentials.generate(kind)
    digest = credentials.digest(plaintext)
    return plaintext, {"digest": digest.value, "pepper_id": digest.pepper_id, "last_four": plaintext[-4:]}


def random_checks(rng, tokens: list[tuple[str, str]], *, repositories_per_organization: int) -> list[dict]:
    """Three realistic checks per (plaintext, organization login), shuffled."""
    checks = [
        {
            "token": plaintext,
            "resource": f"{login}/repo{rng.randrange(repositories_per_organization)}",
            "permission": rng.choice(PERMISSIONS),
        }
        for plaintext, login in tokens
        for _ in range(CHECKS_PER_TOKEN)
    ]
    rng.shuffle(checks)
    return checks


def cold_checks(rng, tokens: list[tuple[str, str]], *, repositories_per_organization: int, cycles: int) -> list[dict]:
    """Check bodies that cycle over every given token and, as far as possible, every repository.

    Within a cycle each token is asked about once, and the tokens of an
    organization about its repositories in turn (from a random one on), so no
    (token, repository) key comes back before the whole cycle has gone by and
    no repository before its organization's tokens have used all of them. Each
    cycle keeps the same token order (a token comes back exactly a cycle
    later) and pairs the tokens with other repositories. The checks are drawn
    as the warm ones are — a repository of the token's organization, a random
    permission — so they get the same mix of answers.
    """
    order = list(tokens)
    rng.shuffle(order)
    first = {login: rng.randrange(repositories_per_organization) for _, login in order}
    # Each cycle starts each organization's tokens further on: another repository for each token.
    step = max(1, repositories_per_organization // cycles)
    checks = []
    for cycle in range(cycles):
        position = {login: start + cycle * step for login, start in first.items()}
        for plaintext, login in order:
            number = position[login]
            position[login] = number + 1
            checks.append(
                {
                    "token": plaintext,
                    "resource": f"{login}/repo{number % repositories_per_organization}",
                    "permission": rng.choice(PERMISSIONS),
                }
            )
    return checks


def dot_applications():
    """DOT's two applications: the one users' tokens were issued to, and the introspecting resource server."""
    from oauth2_provider.models import Application

    issuer = Application.objects.create(
        name="bench-client",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://client.example/callback",
    )
    resource_server = Application.objects.create(
        name="bench-resource-server",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
    )
    return issuer, resource_server


def dot_bearer(resource_server) -> str:
    """The resource server's token with the `introspection` scope, as DOT's docs set it up."""
    from oauth2_provider.models import AccessToken

    token = generate_token()
    AccessToken.objects.create(
        application=resource_server,
        token=token,
        token_checksum=hashlib.sha256(token.encode()).hexdigest(),
        scope="introspection",
        expires=timezone.now() + timezone.timedelta(days=365),
    )
    return token


def owner_token(*, user, organization, now) -> str:
    """The owner's own fine-grained token for the organization, auto-approved as an owner's is."""
    plaintext, secret = secret_fields(CredentialType.FINE_GRAINED)
    token = FineGrainedToken.objects.create(
        user=user,
        name="bench-owner",
        resource_owner_organization=organization,
        repository_access="all",
        permissions=OWNER_PERMISSIONS,
        expires_at=now + timezone.timedelta(days=30),
        **secret,
    )
    Grant.objects.create(
        token=token,
        organization=organization,
        auto_approved=True,
        repository_access="all",
        repository_ids=[],
        permissions=OWNER_PERMISSIONS,
    )
    return plaintext


@transaction.atomic
def build(
    *, organizations: int, members_per_organization: int, repositories_per_organization: int, seed: int = 7
) -> World:
    from oauth2_provider.models import AccessToken

    rng = random.Random(seed)
    now = timezone.now()
    enterprise = Enterprise.objects.create(slug="benchcorp", name="Bench Corp", fine_grained_opted_in=True)
    owned_permission = Permission.objects.get(codename="own_organization")
    orgs = Organization.objects.bulk_create(
        Organization(
            login=f"org{n}",
            name=f"Org {n}",
            enterprise=enterprise if n % 2 else None,
            fine_grained_opted_in=True,
            fine_grained_approval="require" if n % 3 else "not_required",
            classic_access="restrict" if n % 5 == 0 else "allow",
            base_permission="write",
        )
        for n in range(organizations)
    )
    users = User.objects.bulk_create(
        User(username=f"user{n}", email=f"user{n}@example.com", password="!")
        for n in range(organizations * members_per_organization)
    )
    memberships, ownerships, repositories = [], [], []
    for index, organization in enumerate(orgs):
        crew = users[index * members_per_organization : (index + 1) * members_per_organization]
        memberships += [Membership(user=user, organization=organization) for user in crew]
        visibilities = ["private", "private", "public"] + (["internal"] if organization.enterprise_id else [])
        ownerships.append(
            OrganizationPermission(user=crew[0], content_object=organization, permission=owned_permission)
        )
        repositories += [
            Repository(
                owner_organization=organization,
                enterprise_id=organization.enterprise_id,
                name=f"repo{r}",
                visibility=rng.choice(visibilities),
            )
            for r in range(repositories_per_organization)
        ]
    Membership.objects.bulk_create(memberships)
    OrganizationPermission.objects.bulk_create(ownerships)
    Repository.objects.bulk_create(repositories)

    fine_grained, classic, plaintexts = [], [], []
    for index, organization in enumerate(orgs):
        for user in users[index * members_per_organization : (index + 1) * members_per_organization]:
            plaintext, secret = secret_fields(CredentialType.FINE_GRAINED)
            fine_grained.append(
                FineGrainedToken(
                    user=user,
                    name="bench",
                    resource_owner_organization=organization,
                    repository_access="all",
                    permissions=TOKEN_PERMISSIONS,
                    expires_at=now + timezone.timedelta(days=30),
                    **secret,
                )
            )
            plaintexts.append((plaintext, organization.login))
            classic_plaintext, classic_secret = secret_fields(CredentialType.CLASSIC)
            classic.append(ClassicToken(user=user, note="bench", scopes=["repo"], **classic_secret))
            plaintexts.append((classic_plaintext, organization.login))
    # Every fifth fine-grained token is on two selected repositories, as in the large world.
    by_organization = {}
    for repository in repositories:
        by_organization.setdefault(repository.owner_organization_id, []).append(repository)
    selected = {}
    for number, token in enumerate(fine_grained):
        if number % SELECTED_EVERY == SELECTED_EVERY - 1:
            token.repository_access = "selected"
            selected[number] = rng.sample(by_organization[token.resource_owner_organization_id], 2)
    FineGrainedToken.objects.bulk_create(fine_grained)
    ClassicToken.objects.bulk_create(classic)
    FineGrainedToken.repositories.through.objects.bulk_create(
        FineGrainedToken.repositories.through(finegrainedtoken_id=fine_grained[number].pk, repository_id=repository.pk)
        for number, chosen in selected.items()
        for repository in chosen
    )

    grants, requests = [], []
    for number, token in enumerate(fine_grained):
        snapshot = {
            "repository_access": token.repository_access,
            "repository_ids": [repository.pk for repository in selected.get(number, ())],
            "permissions": token.permissions,
        }
        if number % 4 == 3:
            requests.append(AccessRequest(token=token, organization=token.resource_owner_organization, **snapshot))
        else:
            grants.append(Grant(token=token, organization=token.resource_owner_organization, **snapshot))
    Grant.objects.bulk_create(grants)
    AccessRequest.objects.bulk_create(requests)

    # The same users hold as many DOT access tokens as Patrol tokens.
    issuer, resource_server = dot_applications()
    dot_tokens = [generate_token() for _ in plaintexts]
    holders = [token.user for token in fine_grained for _ in range(2)]  # one user per (fine-grained, classic) pair
    AccessToken.objects.bulk_create(
        AccessToken(
            user=user,
            application=issuer,
            token=value,
            token_checksum=hashlib.sha256(value.encode()).hexdigest(),
            scope="read write",
            expires=now + timezone.timedelta(days=30),
        )
        for user, value in zip(holders, dot_tokens, strict=True)
    )

    page_organization = orgs[1 % len(orgs)]
    page_owner = users[(1 % len(orgs)) * members_per_organization]
    return World(
        checks=random_checks(rng, plaintexts, repositories_per_organization=repositories_per_organization),
        cold_checks=cold_checks(
            rng, plaintexts, repositories_per_organization=repositories_per_organization, cycles=COLD_CYCLES
        ),
        patrol_tokens=[plaintext for plaintext, _ in plaintexts],
        dot_tokens=dot_tokens,
        dot_bearer=dot_bearer(resource_server),
        pages=[
            PageOwner(
                organization=page_organization.login,
                owner=page_owner.username,
                token=owner_token(user=page_owner, organization=page_organization, now=now),
                label="an organization",
            )
        ],
    )
