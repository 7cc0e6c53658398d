"""Token metadata, access requests and grants in the admin, scoped to the owner's enterprises.

Which tokens an enterprise owner sees is decided in enterprises.admin. Secrets
are never stored; their digests and pepper ids are not shown either, only the
masked form (prefix and last four characters). Tokens are never added here,
and instead of deleting one the admin revokes it (`token_revoke`), keeping it
for the record (SPEC §5.1).
"""

from django.contrib import admin, messages
from django.utils.translation import ngettext

from enterprises.admin import OwnerScopedAdmin, enterprise_users
from organizations.models import User

from .models import AccessRequest, ClassicToken, FineGrainedToken, Grant
from .services import token_revoke

TOKEN_TIMES = ["created_at", "expires_at", "last_used_at", "revoked_at"]


class TokenAdmin(OwnerScopedAdmin):
    ordering = ["-created_at", "-id"]
    actions = ["revoke_selected"]

    @admin.display(description="token")
    def masked(self, token):
        return token.masked

    def has_revoke_permission(self, request):
        return self.has_view_permission(request)

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        # The changelist hands over only rows of get_queryset: another tenant's ids are dropped.
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token, actor=request.user)
            revoked += 1
        self.message_user(
            request,
            ngettext("Revoked %d token.", "Revoked %d tokens.", revoked) % revoked,
            messages.SUCCESS,
        )


@admin.register(FineGrainedToken)
class FineGrainedTokenAdmin(TokenAdmin):
    enterprise_path = "resource_owner_organization__enterprise"
    list_display = ["name", "user", "resource_owner_organization", "masked", *TOKEN_TIMES]
    list_filter = ["resource_owner_organization", "repository_access"]
    list_select_related = ["user", "resource_owner_organization"]
    search_fields = ["name", "user__username"]
    fields = [
        "name",
        "masked",
        "user",
        "description",
        "resource_owner_organization",
        "repository_access",
        "repositories",
        "permissions",
        *TOKEN_TIMES,
    ]
    readonly_fields = ["masked"]


@admin.register(ClassicToken)
class ClassicTokenAdmin(TokenAdmin):
    list_display = ["note", "user", "masked", "scopes", *TOKEN_TIMES]
    list_select_related = ["user"]
    search_fields = ["note", "user__username"]
    fields = ["note", "masked", "user", "scopes", *TOKEN_TIMES]
    readonly_fields = ["masked"]

    def scope(self, queryset, enterprise_ids):
        return queryset.filter(user__in=User.objects.filter(enterprise_users(enterprise_ids)).values("pk"))


@admin.register(AccessRequest)
class AccessRequestAdmin(OwnerScopedAdmin):
    ordering = ["-created_at", "-id"]
    enterprise_path = "organization__enterprise"
    list_display = ["__str__", "token", "requester", "organization", "status", "created_at", "reviewed_by"]
    list_filter = ["status", "organization"]
    list_select_related = ["token__user", "organization", "reviewed_by"]
    search_fields = ["token__name", "token__user__username"]
    fields = [
        "token",
        "organization",
        "justification",
        "repository_access",
        "repository_ids",
        "permissions",
        "status",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "reason",
    ]

    @admin.display(description="requester", ordering="token__user__username")
    def requester(self, access_request):
        return access_request.token.user


@admin.register(Grant)
class GrantAdmin(OwnerScopedAdmin):
    ordering = ["-granted_at", "-id"]
    enterprise_path = "organization__enterprise"
    list_display = ["__str__", "token", "organization", "auto_approved", "granted_at", "revoked_at"]
    list_filter = ["organization", "auto_approved"]
    list_select_related = ["token", "organization"]
    search_fields = ["token__name", "token__user__username"]
    fields = [
        "token",
        "organization",
        "request",
        "auto_approved",
        "repository_access",
        "repository_ids",
        "permissions",
        "granted_at",
        "revoked_at",
        "revoked_by",
    ]
