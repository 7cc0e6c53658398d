"""Build a scaled-up demo world for benchmarks, fast (bulk inserts).

Benchmark data only: rows are written in bulk instead of through the services,
but with the same shapes the services produce (ownership as guardian
permission rows, grants as approvals would leave them, keyed digests).
Returns the check bodies the load generator replays.
"""

import random

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from enterprises.models import Enterprise
from organizations.models import Membership, Organization, OrganizationPermission, Repository, User
from tokens import credentials
from tokens.models import AccessRequest, ClassicToken, FineGrainedToken, Grant

PERMISSIONS = ["contents:read", "contents:write", "issues:read", "pull_requests:write", "metadata:read"]


def _secret(kind):
    plaintext = credentials.generate(kind)
    digest = credentials.digest(plaintext)
    return plaintext, {"digest": digest.value, "pepper_id": digest.pepper_id, "last_four": plaintext[-4:]}


@transaction.atomic
def build(*, organizations: int, members_per_organization: int, repositories_per_organization: int, seed: int = 7):
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

    checks = []
    fine_grained, classic, plaintexts = [], [], []
    for index, organization in enumerate(orgs):
        for user in users[index * members_per_organization : (index + 1) * members_per_organization]:
            plaintext, secret = _secret(credentials.TokenKind.FINE_GRAINED)
            fine_grained.append(
                FineGrainedToken(
                    user=user,
                    name="bench",
                    resource_owner_organization=organization,
                    repository_access="all",
                    permissions={"contents": "write", "issues": "read", "metadata": "read"},
                    expires_at=now + timezone.timedelta(days=30),
                    **secret,
                )
            )
            plaintexts.append((plaintext, organization))
            classic_plaintext, classic_secret = _secret(credentials.TokenKind.CLASSIC)
            classic.append(ClassicToken(user=user, note="bench", scopes=["repo"], **classic_secret))
            plaintexts.append((classic_plaintext, organization))
    FineGrainedToken.objects.bulk_create(fine_grained)
    ClassicToken.objects.bulk_create(classic)

    grants, requests = [], []
    for number, token in enumerate(fine_grained):
        snapshot = {"repository_access": "all", "repository_ids": [], "permissions": token.permissions}
        if number % 4 == 3:
            requests.append(AccessRequest(token=token, organization=token.resource_owner_organization, **snapshot))
        else:
            grants.append(Grant(token=token, organization=token.resource_owner_organization, **snapshot))
    Grant.objects.bulk_create(grants)
    AccessRequest.objects.bulk_create(requests)

    for plaintext, organization in plaintexts:
        for _ in range(3):
            checks.append(
                {
                    "token": plaintext,
                    "resource": f"{organization.login}/repo{rng.randrange(repositories_per_organization)}",
                    "permission": rng.choice(PERMISSIONS),
                }
            )
    rng.shuffle(checks)
    return checks
