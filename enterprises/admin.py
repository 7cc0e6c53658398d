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

from functools import cache

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template import Context, Template
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET

from audit.choices import action_name
from audit.models import AuditEvent
from audit.selectors import filter_events
from organizations.forms import AuditLogFilterForm
from policies import views as policy_views
from policies.models import POLICY_FIELDS
from tenancy.admin import DeclaredFiltersChangeList, DeclaredFiltersOnly, OwnerScopedAdmin

from . import views
from .audit_log.selectors import csv_lines, readable_events
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
            path(
                "<slug:slug>/settings/policies/personal-access-tokens/report-only/",
                wrap(policy_views.enterprise_report_only),
                name="enterprises_enterprise_report_only",
            ),
            path(
                "<slug:slug>/settings/policies/personal-access-tokens/report-only/enforce/",
                wrap(policy_views.enterprise_report_only_enforce),
                name="enterprises_enterprise_report_only_enforce",
            ),
            path(
                "<slug:slug>/settings/policies/personal-access-tokens/report-only/discard/",
                wrap(policy_views.enterprise_report_only_discard),
                name="enterprises_enterprise_report_only_discard",
            ),
            *super().get_urls(),
        ]


# django.contrib.auth.admin (imported above) registers Group with a plain ModelAdmin;
# superusers keep it, under the same filter rule.
admin.site.unregister(Group)


@admin.register(Group)
class DeclaredFiltersGroupAdmin(DeclaredFiltersOnly, GroupAdmin):
    pass


# The audit log (behaviour §5.1, §8): read-only, newest first, 50 a page, in words; an enterprise owner
# reads their enterprises' events. Filters: action, actor, dates, token id, enterprise (the
# enterprise settings' audit-log link), organization; "Download CSV" exports what they select.
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


class DateRangeFilter(admin.ListFilter):
    """Events from one day to another, both included; a date that is not one is named in an error."""

    title = "date"
    template = "admin/audit/date_range_filter.html"
    parameters = ("date_from", "date_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.raw = {}
        for name in self.parameters:
            if name in params:
                self.raw[name] = params.pop(name)[-1].strip()
                self.used_parameters[name] = self.raw[name]
        self.form = AuditLogFilterForm(self.raw)
        self.errors = [] if self.form.is_valid() else self.form_errors()
        if self.errors and not getattr(request, "_audit_date_errors_shown", False):
            request._audit_date_errors_shown = True
            for error in self.errors:
                messages.error(request, f"{error} No events are listed until it is corrected.")

    def form_errors(self):
        return [
            f"{self.form.fields[name].label}: {error}"
            for name in self.parameters
            for error in self.form.errors.get(name, ())
        ]

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        if self.errors:
            return queryset.none()
        return filter_events(
            queryset, date_from=self.form.cleaned_data["date_from"], date_to=self.form.cleaned_data["date_to"]
        )

    def choices(self, changelist):
        others = {name: value for name, value in changelist.params.items() if name not in self.parameters}
        yield {
            "date_from": self.raw.get("date_from", ""),
            "date_to": self.raw.get("date_to", ""),
            "errors": self.errors,
            "others": others,
            "clear": changelist.get_query_string(remove=list(self.parameters)),
        }


class ActionFilter(admin.SimpleListFilter):
    """The actions in the owner's log, by name ("Token request created")."""

    title = "event"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = model_admin.get_queryset(request).order_by().values_list("action", flat=True).distinct()
        return sorted(((action, action_name(action)) for action in actions), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ReadableChangeList(DeclaredFiltersChangeList):
    """Describes the page's events in words, in a fixed number of queries, before the rows are drawn."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        for row in readable_events(self.result_list):
            row.event.readable = row


@admin.register(AuditEvent)
class AuditEventAdmin(OwnerScopedAdmin):
    enterprise_path = "enterprise"
    list_display = ["when", "event", "actor_link", "token_link", "details"]
    list_display_links = ["when"]
    list_filter = [ActionFilter, "actor", DateRangeFilter, TokenIdFilter, "enterprise", "organization"]
    list_select_related = ["organization"]
    search_fields = ["action", "actor_login"]
    fields = ["when", "event", "actor_link", "enterprise", "organization", "token_link", "details"]
    readonly_fields = fields

    def get_changelist(self, request, **kwargs):
        return ReadableChangeList

    def readable(self, event):
        if not hasattr(event, "readable"):
            event.readable = readable_events([event])[0]
        return event.readable

    @admin.display(description="when", ordering="created_at")
    def when(self, event):
        return _when_template().render(Context({"moment": event.created_at}))

    @admin.display(description="event", ordering="action")
    def event(self, event):
        row = self.readable(event)
        links = []
        if row.request_id:
            url = reverse("admin:tokens_accessrequest_change", args=[row.request_id])
            links.append(format_html(' · <a href="{}">request #{}</a>', url, row.request_id))
        if row.grant_id:
            url = reverse("admin:tokens_grant_change", args=[row.grant_id])
            links.append(format_html(' · <a href="{}">grant #{}</a>', url, row.grant_id))
        where = event.organization.login if event.organization_id else ""
        return format_html(
            "{}{}{}",
            row.name,
            format_html_join("", "{}", ((link,) for link in links)),
            format_html('<span class="audit-note">in {}</span>', where) if where else "",
        )

    @admin.display(description="actor")
    def actor_link(self, event):
        if not event.actor_login:
            return "system"
        if event.actor_id is None:
            return event.actor_login
        url = reverse("admin:organizations_user_change", args=[event.actor_id])
        return format_html('<a href="{}">{}</a>', url, event.actor_login)

    @admin.display(description="token")
    def token_link(self, event):
        row = self.readable(event)
        if not row.token_label:
            return ""
        kind = f"{row.token_kind} of {row.token_holder}" if row.token_holder else row.token_kind
        if not row.token_exists:
            return format_html('{}<span class="audit-note">{}, deleted</span>', row.token_label, kind)
        model = TOKEN_ADMIN_MODELS.get(event.token_type)
        if model is None:
            return format_html('{}<span class="audit-note">{}</span>', row.token_label, kind)
        url = reverse(f"admin:tokens_{model}_change", args=[event.token_id])
        return format_html('<a href="{}">{}</a><span class="audit-note">{}</span>', url, row.token_label, kind)

    @admin.display(description="details")
    def details(self, event):
        lines = self.readable(event).lines
        if not lines:
            return ""
        items = (
            (line.label, format_html("{} → {}", line.before, line.after) if line.change else line.text)
            for line in lines
        )
        return format_html(
            '<ul class="audit-details">{}</ul>', format_html_join("", "<li><span>{}:</span> {}</li>", items)
        )

    def get_urls(self):
        export = path(
            "export/",
            self.admin_site.admin_view(require_GET(self.export_csv)),
            name="audit_auditevent_export",
        )
        return [export, *super().get_urls()]

    def export_csv(self, request):
        """The changelist's events, as its filters and search select them, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        response = StreamingHttpResponse(csv_lines(changelist.get_queryset(request)), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        return response


@cache
def _when_template() -> Template:
    # The site's one date format (the `when` filter), drawn in the admin too.
    return Template("{% load patrol %}{{ moment|when }}")


TOKEN_ADMIN_MODELS = {"fine_grained": "finegrainedtoken", "classic": "classictoken", "ssh_key": "sshkey"}
