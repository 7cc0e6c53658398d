"""Outbound emails in the admin: superusers only, read-only, with a retry for parked ones.

Rows span tenants (a payload names any organization's request or grant), so an
enterprise owner does not see this admin at all.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import ngettext

from tenancy.admin import DeclaredFiltersOnly

from .models import OutboundEmail
from .services import outbound_emails_retry


def _superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("parked", "Parked"), ("sent", "Sent")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True, parked_at__isnull=True)
        if self.value() == "parked":
            return queryset.filter(parked_at__isnull=False)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(DeclaredFiltersOnly):
    ordering = ["-id"]
    list_display = ["id", "kind", "status", "attempts", "last_error", "created_at", "next_attempt_at", "parked_at"]
    list_filter = [StatusFilter]
    fields = [
        "kind",
        "payload",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "parked_at",
        "sent_at",
    ]
    readonly_fields = fields
    actions = ["retry_selected"]
    list_per_page = 50
    show_full_result_count = False

    def get_object(self, request, object_id, from_field=None):
        # Refused before the lookup, so no one else learns which ids exist; a missing id is a 404, not a redirect.
        if not _superuser(request):
            raise PermissionDenied
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No outbound email matches the given query.")
        return obj

    def has_module_permission(self, request):
        return _superuser(request)

    def has_view_permission(self, request, obj=None):
        return _superuser(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return _superuser(request)

    @admin.action(description="Retry selected parked emails", permissions=["retry"])
    def retry_selected(self, request, queryset):
        retried = outbound_emails_retry(ids=queryset.values_list("pk", flat=True), actor=request.user)
        message = ngettext("%d parked email goes back in the queue.", "%d parked emails go back in the queue.", retried)
        self.message_user(request, message % retried, messages.SUCCESS)
