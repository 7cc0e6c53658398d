"""Shapes of the v3 API, with GitHub's field names (behaviour §5.5).

Input serializers validate query strings and bodies (422 on failure, as
GitHub answers); output serializers render requests, grants, users and
repositories the way GitHub's REST API does.
"""

from datetime import UTC

from django.urls import get_script_prefix, reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from organizations.models import Organization
from organizations.validators import multi_line_text
from tokens.choices import RepositoryAccess
from tokens.engine.catalogue import PERMISSIONS, ResourceKind
from tokens.models import TEXT_LIMIT

MAX_IDS = 100  # bulk review and revoke (behaviour §5.5)
MAX_PAGE = 1_000_000


# --- Input ----------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Unknown body fields are an error naming them, not silently ignored."""

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: "Unknown field." for name in unknown})
        return attrs


class PageQuerySerializer(serializers.Serializer):
    """The page parameters every list takes; the requests and tokens lists add tokens.filtersets."""

    per_page = serializers.IntegerField(min_value=1, max_value=100, default=30)
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)


def _ids():
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=MAX_IDS,
        help_text=f"1 to {MAX_IDS} ids.",
    )


def _action(component_name: str, *choices: str) -> serializers.ChoiceField:
    """A ChoiceField documented as its own named enum, so the two ``action`` enums do not collide in the schema.

    The annotation goes on a subclass of its own: on ``ChoiceField`` itself it
    would document every choice field of every serializer as this enum.
    """

    @extend_schema_field({"type": "string", "enum": list(choices)}, component_name=component_name)
    class ActionField(serializers.ChoiceField):
        pass

    return ActionField(choices=list(choices))


class ReviewInputSerializer(StrictSerializer):
    action = _action("ReviewAction", "approve", "deny")
    reason = serializers.CharField(
        max_length=TEXT_LIMIT, required=False, allow_null=True, allow_blank=True, validators=[multi_line_text]
    )


class BulkReviewInputSerializer(ReviewInputSerializer):
    pat_request_ids = _ids()


class RevokeInputSerializer(StrictSerializer):
    action = _action("RevokeAction", "revoke")


class BulkRevokeInputSerializer(RevokeInputSerializer):
    pat_ids = _ids()


# --- Output ---------------------------------------------------------------------
#
# GitHub's published schemas (githubkit's models are the tests' oracle). Patrol
# is laid out as GitHub Enterprise Server is: pages at the site's root, the API
# under /api/v3, so every URL is built from the request's own base.


class SiteUrls:
    """The site's and its API's absolute bases, from the request being answered."""

    def __init__(self, request):
        prefix = get_script_prefix()
        self.site = request.build_absolute_uri(prefix).rstrip("/")
        self.api = f"{self.site}/api/v3"


def _urls(context) -> SiteUrls:
    if "urls" not in context:
        context["urls"] = SiteUrls(context["request"])
    return context["urls"]


class GitHubDateTimeField(serializers.DateTimeField):
    """UTC to the second, as GitHub writes times: ``2026-12-04T22:38:36Z``."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M:%SZ", default_timezone=UTC, **kwargs)


def _uri():
    return serializers.URLField()


def _uri_template():
    """GitHub's RFC 6570 templates (``…/following{/other_user}``): strings, not URIs."""
    return serializers.CharField()


class _GitHubShape(serializers.Serializer):
    """An output shape whose values come from one method, checked against the declared fields."""

    def values(self, instance) -> dict:
        raise NotImplementedError

    def to_representation(self, instance):
        values = self.values(instance)
        return {name: values[name] for name in self.fields}


class SimpleUserSerializer(_GitHubShape):
    """GitHub's simple-user, for a user or (as a repository's owner) an organization."""

    login = serializers.CharField()
    id = serializers.IntegerField()
    node_id = serializers.CharField()
    avatar_url = _uri()
    gravatar_id = serializers.CharField(allow_null=True)
    url = _uri()
    html_url = _uri()
    followers_url = _uri()
    following_url = _uri_template()
    gists_url = _uri_template()
    starred_url = _uri_template()
    subscriptions_url = _uri()
    organizations_url = _uri()
    repos_url = _uri()
    events_url = _uri_template()
    received_events_url = _uri()
    type = serializers.CharField()  # "User" or "Organization"
    site_admin = serializers.BooleanField()

    def values(self, account) -> dict:
        urls = _urls(self.context)
        if isinstance(account, Organization):
            login, kind, node_id, site_admin = account.login, "Organization", f"O_{account.pk}", False
        else:
            login, kind, node_id, site_admin = account.username, "User", f"U_{account.pk}", account.is_superuser
        api = f"{urls.api}/users/{login}"
        return {
            "login": login,
            "id": account.pk,
            "node_id": node_id,
            "avatar_url": f"{urls.site}/avatars/u/{account.pk}",  # where GitHub Enterprise Server serves them
            "gravatar_id": "",
            "url": api,
            "html_url": f"{urls.site}/{login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": kind,
            "site_admin": site_admin,
        }


class PermissionsSerializer(serializers.Serializer):
    organization = serializers.DictField(child=serializers.CharField())
    repository = serializers.DictField(child=serializers.CharField())
    other = serializers.DictField(child=serializers.CharField())


def grouped_permissions(permissions: dict) -> dict:
    """GitHub groups a token's permissions: organization, repository, other (account)."""
    groups = {"organization": {}, "repository": {}, "other": {}}
    for name, level in sorted(permissions.items()):
        kind = PERMISSIONS[name].kind if name in PERMISSIONS else None
        group = {ResourceKind.ORGANIZATION: "organization", ResourceKind.REPOSITORY: "repository"}.get(kind, "other")
        groups[group][name] = level
    return groups


class _SnapshotSerializer(serializers.Serializer):
    """What requests and grants share: the owner, the token and the snapshot."""

    id = serializers.IntegerField()
    owner = SimpleUserSerializer(source="token.user")
    repository_selection = serializers.SerializerMethodField()
    repositories_url = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()
    token_id = serializers.IntegerField()
    token_name = serializers.CharField(source="token.name")
    token_expired = serializers.SerializerMethodField()
    token_expires_at = GitHubDateTimeField(source="token.expires_at", allow_null=True)
    token_last_used_at = GitHubDateTimeField(source="token.last_used_at", allow_null=True)

    repositories_route = ""

    @extend_schema_field({"type": "string", "enum": ["none", "all", "subset"]})
    def get_repository_selection(self, row) -> str:
        return RepositoryAccess(row.repository_access).github_name

    def get_repositories_url(self, row) -> str:
        path = reverse(self.repositories_route, kwargs={"org": row.organization.login, "pk": row.pk})
        return self.context["request"].build_absolute_uri(path)

    @extend_schema_field(PermissionsSerializer)
    def get_permissions(self, row) -> dict:
        return grouped_permissions(row.permissions or {})

    def get_token_expired(self, row) -> bool:
        return row.token.is_expired(self.context.get("now") or timezone.now())


class AccessRequestSerializer(_SnapshotSerializer):
    """GitHub's organization-programmatic-access-grant-request."""

    reason = serializers.CharField(source="justification", allow_null=True)
    created_at = GitHubDateTimeField()

    repositories_route = "api-v3-pat-request-repositories"

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["reason"] = data["reason"] or None
        return data


class GrantSerializer(_SnapshotSerializer):
    """GitHub's organization-programmatic-access-grant (``pat_id`` is the grant's id)."""

    access_granted_at = GitHubDateTimeField(source="granted_at")

    repositories_route = "api-v3-pat-repositories"


# A repository's links after its API URL, in GitHub's order (minimal-repository).
REPOSITORY_LINKS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
    "hooks_url": "/hooks",
}


class MinimalRepositorySerializer(_GitHubShape):
    """GitHub's minimal-repository: its required fields, and the optional ones Patrol knows."""

    id = serializers.IntegerField()
    node_id = serializers.CharField()
    name = serializers.CharField()
    full_name = serializers.CharField()
    owner = SimpleUserSerializer()
    private = serializers.BooleanField()
    html_url = _uri()
    description = serializers.CharField(allow_null=True)
    fork = serializers.BooleanField()
    url = _uri()
    visibility = serializers.CharField()
    created_at = GitHubDateTimeField()

    def get_fields(self):
        fields = super().get_fields()
        for name, template in REPOSITORY_LINKS.items():
            fields[name] = _uri_template() if "{" in template else _uri()
        return fields

    def values(self, repository) -> dict:
        urls = _urls(self.context)
        api = f"{urls.api}/repos/{repository.full_name}"
        return {
            "id": repository.pk,
            "node_id": f"R_{repository.pk}",
            "name": repository.name,
            "full_name": repository.full_name,
            "owner": self.fields["owner"].to_representation(repository.owner_organization or repository.owner_user),
            "private": repository.visibility != "public",
            "html_url": f"{urls.site}/{repository.full_name}",
            "description": None,  # Patrol keeps none
            "fork": False,
            "url": api,
            "visibility": repository.visibility,
            "created_at": self.fields["created_at"].to_representation(repository.created_at),
            **{name: f"{api}{template}" for name, template in REPOSITORY_LINKS.items()},
        }


MAX_CREDENTIALS = 1000  # GitHub's limit per request (behaviour §5.5)
MAX_CREDENTIAL_LENGTH = 1024  # far beyond any secret (Patrol's are 48 characters)
PROBLEMS_SHOWN = 10
NAME_SHOWN = 40


class CredentialsRevokeInputSerializer(serializers.Serializer):
    """Documents what `credentials_problems` accepts."""

    credentials = serializers.ListField(
        child=serializers.CharField(max_length=MAX_CREDENTIAL_LENGTH, allow_blank=True, trim_whitespace=False),
        min_length=1,
        max_length=MAX_CREDENTIALS,
        help_text="Secrets found exposed, of any kind: those that are Patrol's are revoked.",
    )


def credentials_problems(body) -> list[str]:
    """What is wrong with a credentials revoke body's shape, in sentences naming the field; none if nothing.

    Types and lengths only, never whether a value is a credential: the answer
    says nothing about which values were real.
    """
    if not isinstance(body, dict):
        return ["The body must be a JSON object with a credentials field."]
    problems = [f"{_shown(name)} is not a field of this request." for name in sorted(set(body) - {"credentials"})]
    values = body.get("credentials")
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_CREDENTIALS:
        problems.append(f"credentials must be a list of 1 to {MAX_CREDENTIALS:,} strings.")
        return problems
    bad = [
        index for index, value in enumerate(values) if not isinstance(value, str) or len(value) > MAX_CREDENTIAL_LENGTH
    ]
    problems += [
        f"credentials[{index}] must be a string of at most {MAX_CREDENTIAL_LENGTH:,} characters."
        for index in bad[:PROBLEMS_SHOWN]
    ]
    if len(bad) > PROBLEMS_SHOWN:
        problems.append(f"{len(bad) - PROBLEMS_SHOWN:,} more entries of credentials are not such strings.")
    return problems


def _is_candidate(value) -> bool:
    return isinstance(value, str) and len(value) <= MAX_CREDENTIAL_LENGTH


def _shown(name: str) -> str:
    return repr(name if len(name) <= NAME_SHOWN else f"{name[:NAME_SHOWN]}…")


# --- Errors (documented; github_exception_handler writes them) -------------------


class BasicErrorSerializer(serializers.Serializer):
    """GitHub's basic-error."""

    message = serializers.CharField()
    documentation_url = _uri()
    status = serializers.CharField(required=False)


class ValidationErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(required=False)
    code = serializers.CharField()
    message = serializers.CharField()


class ValidationErrorSerializer(BasicErrorSerializer):
    """GitHub's validation-error."""

    errors = ValidationErrorItemSerializer(many=True)


class ValidationErrorSimpleSerializer(BasicErrorSerializer):
    """GitHub's validation-error-simple: the errors as sentences."""

    errors = serializers.ListField(child=serializers.CharField())
