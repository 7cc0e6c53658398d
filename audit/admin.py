"""The audit log in the admin (SPEC §5.1, §8): read-only, newest first, 50 a page.

Scoped like every admin here (enterprises.admin): an enterprise owner reads
their enterprises' events. Filters: action, actor, token id, enterprise (the
enterprise settings' audit-log link), organization.
"""

from django.contrib import admin

from enterprises.admin import OwnerScopedAdmin

from .models import AuditEvent


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
