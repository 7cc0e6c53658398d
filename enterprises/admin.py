"""The enterprise in the Django admin, scoped to each owner's own enterprises (behaviour §5.1, §7).

Every admin here derives from `tenancy.admin.OwnerScopedAdmin`, the one
tenancy path. What an enterprise owner sees (issue 3):

- their enterprises, and the organizations in them;
- those organizations' memberships, repositories, access requests and grants;
- users who are members of those organizations, or managed by the enterprise (EMUs);
- fine-grained tokens whose resource owner is one of those organizations — the
  tokens the enterprise's fine-grained policies govern; a token whose resource
  owner is its user is outside every enterprise policy (behaviour §3), so it is not shown;
- classic tokens and SSH keys of those users: a classic token reaches everything
  its user can, so the enterprise's classic policy governs every one of them
  (their notes stay the holders' own);
- the enterprise's audit events (registered here: the audit app is a leaf that
  only records them).

Writes go through the services so that they are audited: the policies change
only through the Save flow (policies.views), memberships are added and
removed with `membership_add` / `membership_remove`, tokens are revoked with
`token_revoke` — a classic token or SSH key only for the owner's enterprise
(`credential_enterprise_revoke`). Everything else is read-only here. guardian's object-permission
pages are not used: they would let an admin grant roles past the services.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.urls import path, reverse
from django.utils.html import format_html

from audit.models import AuditEvent
from policies import views as policy_views
from policies.models import POLICY_FIELDS
from tenancy.admin import DeclaredFiltersOnly, OwnerScopedAdmin

from . import views
from .models import Enterprise

admin.site.site_header = "Patrol administration"
admin.site.site_title = "Patrol"
admin.site.index_title = "Enterprise administration"


@admin.register(Enterprise)
class EnterpriseAdmin(OwnerScopedAdmin):
    """Read-only rows; the policies change through the Save flow below (behaviour §5.1)."""

    list_display = [
        "name",
        "slug",
        "fine_grained_opted_in",
        "fine_grained_access",
        "fine_grained_approval",
        "classic_access",
        "settings_link",
    ]
    search_fields = ["slug", "name"]
    fields = ["slug", "name", "fine_grained_opted_in", *POLICY_FIELDS, "policy_revision"]

    def scope(self, queryset, enterprise_ids):
        return queryset.filter(pk__in=enterprise_ids)

    @admin.display(description="Settings")
    def settings_link(self, enterprise):
        url = reverse("admin:enterprises_enterprise_account", args=[enterprise.slug])
        return format_html('<a href="{}">Enterprise settings</a>', url)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("settings/", wrap(views.enterprise_settings), name="enterprises_enterprise_settings"),
            path("<slug:slug>/settings/", wrap(views.enterprise_account), name="enterprises_enterprise_account"),
            path(
                "<slug:slug>/settings/policies/",
                wrap(views.enterprise_policies),
                name="enterprises_enterprise_policies",
            ),
            path(
                "<slug:slug>/settings/policies/personal-access-tokens/",
                wrap(policy_views.enterprise_pat_policies),
                name="enterprises_enterprise_pat_policies",
            ),
            *super().get_urls(),
        ]


# django.contrib.auth.admin (imported above) registers Group with a plain ModelAdmin;
# superusers keep it, under the same filter rule.
admin.site.unregister(Group)


@admin.register(Group)
class DeclaredFiltersGroupAdmin(DeclaredFiltersOnly, GroupAdmin):
    pass


# The audit log (behaviour §5.1, §8): read-only, newest first, 50 a page; an enterprise owner reads
# their enterprises' events. Filters: action, actor, token id, enterprise (the enterprise
# settings' audit-log link), organization.
class TokenIdFilter(admin.ListFilter):
    """A token id typed in, rather than a list of every id in the log."""

    title = "token id"
    parameter_name = "token_id"
    template = "admin/audit/token_id_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.raw = ""
        if self.parameter_name in params:
            self.raw = params.pop(self.parameter_name)[-1].strip()
            self.used_parameters[self.parameter_name] = self.raw

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_name]

    def queryset(self, request, queryset):
        if not self.raw:
            return queryset
        if not self.raw.isdecimal() or int(self.raw) >= 2**63:
            return queryset.none()
        return queryset.filter(token_id=int(self.raw))

    def choices(self, changelist):
        others = {name: value for name, value in changelist.params.items() if name != self.parameter_name}
        yield {"value": self.raw, "others": others, "clear": changelist.get_query_string(remove=[self.parameter_name])}


@admin.register(AuditEvent)
class AuditEventAdmin(OwnerScopedAdmin):
    enterprise_path = "enterprise"
    list_display = ["created_at", "action", "actor_login", "organization", "token_type", "token_id", "data"]
    list_filter = ["action", "actor", TokenIdFilter, "enterprise", "organization"]
    list_select_related = ["organization"]
    search_fields = ["action", "actor_login"]
    fields = [
        "created_at",
        "action",
        "actor",
        "actor_login",
        "enterprise",
        "organization",
        "token_type",
        "token_id",
        "data",
    ]
    readonly_fields = fields
