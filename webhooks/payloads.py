"""Webhook bodies, built in the transaction of the change they announce (behaviour §5.7).

`personal_access_token_request` is GitHub's event, field for field (its
schema, through githubkit's models, is the tests' oracle). Patrol's other
events keep GitHub's frame: an `action`, the object, `organization` (or only
`enterprise`) and `sender`. URLs point at PATROL_SITE_URL, laid out as GitHub
Enterprise Server is: pages at the root, the API under /api/v3.
"""

from datetime import UTC

from django.conf import settings
from django.utils import timezone

from enterprises.models import Enterprise
from organizations.models import Organization, Repository
from tokens.choices import RepositoryAccess
from tokens.engine.catalogue import LEVEL_RANK, PERMISSIONS, ResourceKind


def _site() -> str:
    return settings.PATROL_SITE_URL


def _api() -> str:
    return f"{_site()}/api/v3"


def moment(value) -> str | None:
    """UTC to the second, as GitHub writes times."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def simple_user(user) -> dict:
    """GitHub's simple-user."""
    api = f"{_api()}/users/{user.username}"
    return {
        "login": user.username,
        "id": user.pk,
        "node_id": f"U_{user.pk}",
        "avatar_url": f"{_site()}/avatars/u/{user.pk}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{_site()}/{user.username}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "User",
        "site_admin": user.is_superuser,
    }


def organization_simple(organization: Organization) -> dict:
    """GitHub's organization-simple-webhooks."""
    api = f"{_api()}/orgs/{organization.login}"
    return {
        "login": organization.login,
        "id": organization.pk,
        "node_id": f"O_{organization.pk}",
        "url": api,
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events",
        "hooks_url": f"{api}/hooks",
        "issues_url": f"{api}/issues",
        "members_url": f"{api}/members{{/member}}",
        "public_members_url": f"{api}/public_members{{/member}}",
        "avatar_url": f"{_site()}/avatars/u/{organization.pk}",
        "description": organization.name or None,
    }


def enterprise_simple(enterprise: Enterprise) -> dict:
    """GitHub's enterprise-webhooks (Patrol keeps no creation time for an enterprise)."""
    return {
        "id": enterprise.pk,
        "node_id": f"E_{enterprise.pk}",
        "slug": enterprise.slug,
        "name": enterprise.name,
        "html_url": f"{_site()}/enterprises/{enterprise.slug}",
        "avatar_url": f"{_site()}/avatars/e/{enterprise.pk}",
        "created_at": None,
        "updated_at": None,
    }


def grouped_permissions(permissions: dict) -> dict:
    """GitHub groups a token's permissions: organization, repository, other (account)."""
    groups = {"organization": {}, "repository": {}, "other": {}}
    for name, level in sorted(permissions.items()):
        kind = PERMISSIONS[name].kind if name in PERMISSIONS else None
        group = {ResourceKind.ORGANIZATION: "organization", ResourceKind.REPOSITORY: "repository"}.get(kind, "other")
        groups[group][name] = level
    return groups


def _repositories(snapshot) -> list[dict] | None:
    if snapshot.repository_access != RepositoryAccess.SELECTED:
        return None
    rows = Repository.objects.filter(pk__in=snapshot.repository_ids or ()).select_related("owner_organization")
    return [
        {
            "id": row.pk,
            "node_id": f"R_{row.pk}",
            "name": row.name,
            "full_name": row.full_name,
            "private": row.visibility != "public",
        }
        for row in sorted(rows, key=lambda row: row.pk)
    ]


def _token_fields(token, now) -> dict:
    return {
        "token_id": token.pk,
        "token_name": token.name,
        "token_expired": token.is_expired(now),
        "token_expires_at": moment(token.expires_at),
        "token_last_used_at": moment(token.last_used_at),
    }


def access_request(request, *, held: dict) -> dict:
    """GitHub's personal-access-token-request; `held` is what the token's grant allowed before it (added, upgraded)."""
    wanted = request.permissions or {}
    added = {name: level for name, level in wanted.items() if name not in held}
    upgraded = {
        name: level
        for name, level in wanted.items()
        if name in held and LEVEL_RANK.get(level, 0) > LEVEL_RANK.get(held[name], 0)
    }
    repositories = _repositories(request)
    return {
        "id": request.pk,
        "owner": simple_user(request.token.user),
        "permissions_added": grouped_permissions(added),
        "permissions_upgraded": grouped_permissions(upgraded),
        "permissions_result": grouped_permissions(wanted),
        "repository_selection": RepositoryAccess(request.repository_access).github_name,
        "repository_count": None if repositories is None else len(repositories),
        "repositories": repositories,
        "created_at": moment(request.created_at),
        **_token_fields(request.token, timezone.now()),
    }


def grant(grant) -> dict:
    """GitHub's organization-programmatic-access-grant, with when and by whom its access was revoked."""
    return {
        "id": grant.pk,
        "owner": simple_user(grant.token.user),
        "repository_selection": RepositoryAccess(grant.repository_access).github_name,
        "repositories": _repositories(grant),
        "permissions": grouped_permissions(grant.permissions or {}),
        "access_granted_at": moment(grant.granted_at),
        "revoked_at": moment(grant.revoked_at),
        **_token_fields(grant.token, timezone.now()),
    }


def fine_grained_token(token) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "owner": simple_user(token.user),
        "expires_at": moment(token.expires_at),
        "expired": token.is_expired(),
        "last_used_at": moment(token.last_used_at),
    }


def installation(endpoint) -> dict:
    """GitHub sends the app installation a hook belongs to; here, the endpoint itself."""
    return {"id": endpoint.pk, "node_id": f"WH_{endpoint.pk}"}


def for_endpoint(body: dict, endpoint, *, organization: Organization | None, enterprise: Enterprise | None) -> dict:
    """The event's body as one endpoint receives it: GitHub's key order, its installation, its enterprise."""
    framed = {"action": body["action"], **body}
    if enterprise is not None:
        framed["enterprise"] = enterprise_simple(enterprise)
    if organization is not None:
        framed["organization"] = organization_simple(organization)
    framed["installation"] = installation(endpoint)
    return framed
