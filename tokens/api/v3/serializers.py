"""Shapes of the v3 API, with GitHub's field names (SPEC §5.5).

Input serializers validate query strings and bodies (422 on failure, as
GitHub answers); output serializers render requests, grants, users and
repositories the way GitHub's REST API does.
"""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from organizations.validators import multi_line_text
from tokens.catalogue import PERMISSIONS, ResourceKind
from tokens.choices import RepositoryAccess
from tokens.models import TEXT_LIMIT
from tokens.selectors import QueueFilters, parse_permission_filter

MAX_IDS = 100  # bulk review and revoke (SPEC §5.5)
MAX_OWNERS = 10
MAX_TOKEN_IDS = 50
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
    """The page parameters every list takes (documents the repository lists' query)."""

    per_page = serializers.IntegerField(min_value=1, max_value=100, default=30)
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)


class ListQuerySerializer(PageQuerySerializer):
    sort = serializers.ChoiceField(choices=["created_at"], default="created_at")
    direction = serializers.ChoiceField(choices=["asc", "desc"], default="desc")
    owner = serializers.ListField(
        child=serializers.CharField(max_length=39), max_length=MAX_OWNERS, required=False, default=list
    )
    repository = serializers.CharField(max_length=100, required=False, default="")
    permission = serializers.CharField(max_length=100, required=False, default="")
    last_used_before = serializers.DateTimeField(required=False, default=None)
    last_used_after = serializers.DateTimeField(required=False, default=None)
    token_id = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=MAX_TOKEN_IDS,
        required=False,
        default=list,
    )

    @classmethod
    def from_query(cls, query_params) -> "ListQuerySerializer":
        """GitHub spells list parameters ``owner[]`` and ``token_id[]``."""
        data = {
            name: query_params[name]
            for name in ("per_page", "page", "sort", "direction", "repository", "permission")
            if name in query_params
        }
        for name in ("last_used_before", "last_used_after"):
            if name in query_params:
                data[name] = query_params[name]
        for name in ("owner", "token_id"):
            values = query_params.getlist(f"{name}[]") + query_params.getlist(name)
            if values:
                data[name] = values
        return cls(data=data)

    def validate_permission(self, value):
        if not value:
            return None
        try:
            return parse_permission_filter(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from error

    def filters(self) -> QueueFilters:
        data = self.validated_data
        return QueueFilters(
            owners=tuple(data["owner"]),
            repository=data["repository"],
            permission=data["permission"],
            last_used_before=data["last_used_before"],
            last_used_after=data["last_used_after"],
            token_ids=tuple(data["token_id"]),
            direction=data["direction"],
        )


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


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


class SimpleUserSerializer(serializers.Serializer):
    """GitHub's simple-user."""

    login = serializers.CharField(source="username")
    id = serializers.IntegerField()
    node_id = serializers.SerializerMethodField()
    avatar_url = serializers.SerializerMethodField()
    gravatar_id = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()
    type = serializers.SerializerMethodField()
    site_admin = serializers.BooleanField(source="is_superuser")

    def get_node_id(self, user) -> str:
        return f"U_{user.pk}"

    def get_avatar_url(self, user) -> str:
        return ""

    def get_gravatar_id(self, user) -> str:
        return ""

    def get_url(self, user) -> str:
        return _absolute(self.context["request"], f"/api/v3/users/{user.username}")

    def get_html_url(self, user) -> str:
        return _absolute(self.context["request"], f"/{user.username}")

    def get_type(self, user) -> str:
        return "User"


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
    token_expires_at = serializers.DateTimeField(source="token.expires_at", allow_null=True)
    token_last_used_at = serializers.DateTimeField(source="token.last_used_at", allow_null=True)

    repositories_route = ""

    def get_repository_selection(self, row) -> str:
        return RepositoryAccess(row.repository_access).github_name

    def get_repositories_url(self, row) -> str:
        path = reverse(self.repositories_route, kwargs={"org": row.organization.login, "pk": row.pk})
        return _absolute(self.context["request"], path)

    def get_permissions(self, row) -> dict:
        return grouped_permissions(row.permissions or {})

    def get_token_expired(self, row) -> bool:
        return row.token.is_expired(self.context.get("now") or timezone.now())


class AccessRequestSerializer(_SnapshotSerializer):
    """GitHub's organization-programmatic-access-grant-request."""

    reason = serializers.CharField(source="justification", allow_null=True)
    created_at = serializers.DateTimeField()

    repositories_route = "api-v3-pat-request-repositories"

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["reason"] = data["reason"] or None
        return data


class GrantSerializer(_SnapshotSerializer):
    """GitHub's organization-programmatic-access-grant (``pat_id`` is the grant's id)."""

    access_granted_at = serializers.DateTimeField(source="granted_at")

    repositories_route = "api-v3-pat-repositories"


class RepositorySerializer(serializers.Serializer):
    """A minimal GitHub repository."""

    id = serializers.IntegerField()
    node_id = serializers.SerializerMethodField()
    name = serializers.CharField()
    full_name = serializers.CharField()
    private = serializers.SerializerMethodField()
    visibility = serializers.CharField()
    owner = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_node_id(self, repository) -> str:
        return f"R_{repository.pk}"

    def get_private(self, repository) -> bool:
        return repository.visibility != "public"

    def get_owner(self, repository) -> dict:
        organization = repository.owner_organization
        return {"login": organization.login, "id": organization.pk, "type": "Organization"}

    def get_url(self, repository) -> str:
        return _absolute(self.context["request"], f"/api/v3/repos/{repository.full_name}")
