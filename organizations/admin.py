"""Accounts and organizations in the admin, scoped to the owner's enterprises (see tenancy.admin).

Organizations, repositories and users are read-only here; memberships are
added and removed through the membership services, so they are audited and
ownership leaves with the membership (behaviour §2, §7).
"""

from django.contrib import admin
from django.db.models import Q

from enterprises.selectors import enterprise_users
from tenancy.admin import OwnerScopedAdmin

from .models import Membership, Organization, Repository, User
from .services import membership_add, membership_remove


@admin.register(User)
class UserAdmin(OwnerScopedAdmin):
    ordering = ["username"]
    list_display = ["username", "email", "managed_by", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "managed_by"]
    list_select_related = ["managed_by"]
    search_fields = ["username", "email"]
    # No password hash; staff and superuser flags follow the ownership services.
    fields = ["username", "email", "first_name", "last_name", "managed_by", "is_active", "is_staff", "date_joined"]

    def scope(self, queryset, enterprise_ids):
        return queryset.filter(enterprise_users(enterprise_ids))


class FineGrainedOptInFilter(admin.SimpleListFilter):
    """Whether fine-grained tokens are enabled (behaviour §3): by the organization's own opt-in or its enterprise's."""

    title = "fine-grained tokens (beta)"
    parameter_name = "fine_grained_opted_in"
    THROUGH_ENTERPRISE = Q(fine_grained_opted_in=False, enterprise__fine_grained_opted_in=True)
    NOT_ENABLED = Q(fine_grained_opted_in=False) & (Q(enterprise=None) | Q(enterprise__fine_grained_opted_in=False))

    def lookups(self, request, model_admin):
        return [("itself", "Opted in by itself"), ("enterprise", "Through its enterprise"), ("no", "Not opted in")]

    def queryset(self, request, queryset):
        match self.value():
            case "itself":
                return queryset.filter(fine_grained_opted_in=True)
            case "enterprise":
                return queryset.filter(self.THROUGH_ENTERPRISE)
            case "no":
                return queryset.filter(self.NOT_ENABLED)
        return queryset


@admin.register(Organization)
class OrganizationAdmin(OwnerScopedAdmin):
    enterprise_path = "enterprise"
    list_display = ["login", "name", "enterprise", "fine_grained", "base_permission"]
    list_filter = ["enterprise", FineGrainedOptInFilter]
    list_select_related = ["enterprise"]
    search_fields = ["login", "name"]
    fields = [
        "login",
        "name",
        "enterprise",
        "base_permission",
        "fine_grained_opted_in",
        "fine_grained_access",
        "fine_grained_approval",
        "classic_access",
        "policy_revision",
    ]

    @admin.display(description="fine-grained tokens (beta)", ordering="fine_grained_opted_in")
    def fine_grained(self, organization) -> str:
        """What is true, not the organization's own flag alone: an enterprise's opt-in enables them too."""
        if organization.fine_grained_opted_in:
            return "✓ Opted in by itself"
        enterprise = organization.enterprise
        if enterprise is not None and enterprise.fine_grained_opted_in:
            return f"✓ Opted in through its enterprise, {enterprise.name}"
        return "✗ Not opted in"


@admin.register(Membership)
class MembershipAdmin(OwnerScopedAdmin):
    ordering = ["organization__login", "user__username"]
    enterprise_path = "organization__enterprise"
    can_add = True
    can_delete = True
    list_display = ["user", "organization", "created_at"]
    list_filter = ["organization"]
    list_select_related = ["user", "organization"]
    search_fields = ["user__username", "organization__login"]
    fields = ["organization", "user"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        membership = membership_add(organization=obj.organization, user=obj.user, actor=request.user)
        obj.pk = membership.pk

    def delete_model(self, request, obj):
        membership_remove(organization=obj.organization, user=obj.user, actor=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("organization", "user"):
            self.delete_model(request, membership)


@admin.register(Repository)
class RepositoryAdmin(OwnerScopedAdmin):
    ordering = ["owner_organization__login", "name"]
    enterprise_path = "owner_organization__enterprise"
    list_display = ["full_name", "visibility", "created_at"]
    list_filter = ["owner_organization", "visibility"]
    list_select_related = ["owner_organization", "owner_user"]
    search_fields = ["name", "owner_organization__login"]
    fields = ["owner_organization", "owner_user", "name", "visibility", "created_at"]

    @admin.display(description="repository", ordering="name")
    def full_name(self, repository):
        return repository.full_name
