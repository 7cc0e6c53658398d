"""Token metadata, SSH keys, access requests and grants in the admin, scoped to the owner's enterprises.

Which tokens an enterprise owner sees is listed in enterprises.admin. Secrets
are never stored; their digests and pepper ids are not shown either, only the
masked form (prefix and last four characters). Tokens are never added here,
and instead of deleting one the admin revokes it, keeping it for the record
(behaviour §5.1). A superuser's revoke is `token_revoke`, everywhere; an enterprise
owner's revoke of a classic token or SSH key is `credential_enterprise_revoke`,
for their enterprise only, as GitHub's revoke of a credential's SSO
authorization. A classic token's note is its holder's: enterprise owners see
its scopes and dates, not the note.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import ngettext

from enterprises.selectors import enterprise_users
from organizations.models import User
from tenancy.admin import OwnerScopedAdmin, owned_enterprise_ids, sees_everything

from .models import (
    AccessRequest,
    ApiClient,
    ClassicToken,
    EnterpriseCredentialRevocation,
    FineGrainedToken,
    Grant,
    SSHKey,
)
from .services import (
    MAX_RATE_PER_MINUTE,
    api_client_create,
    api_client_revoke,
    credential_revoke_in_owned_enterprises,
    token_revoke,
)

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


def _users_of(enterprise_ids):
    return User.objects.filter(enterprise_users(enterprise_ids)).values("pk")


class EnterpriseRevokeMixin:
    """An enterprise owner's revoke: the credential loses the owner's enterprises only."""

    revocation_field = ""  # the credential's field on EnterpriseCredentialRevocation

    def get_queryset(self, request):
        # Whether the owner's enterprises (any enterprise, for superusers) revoked each row, in the list's own query.
        revocations = EnterpriseCredentialRevocation.objects.filter(**{self.revocation_field: OuterRef("pk")})
        if not sees_everything(request):
            revocations = revocations.filter(enterprise__in=owned_enterprise_ids(request))
        return super().get_queryset(request).annotate(enterprise_revoked=Exists(revocations))

    @admin.display(description="revoked by enterprise", boolean=True, ordering="enterprise_revoked")
    def enterprise_revoked(self, credential):
        return credential.enterprise_revoked

    def revoke_in_enterprises(self, request, queryset, noun: str) -> None:
        revoked = sum(bool(credential_revoke_in_owned_enterprises(credential=c, actor=request.user)) for c in queryset)
        self.message_user(
            request,
            ngettext(
                "Revoked %(count)d %(noun)s's access to your enterprise.",
                "Revoked %(count)d %(noun)ss' access to your enterprise.",
                revoked,
            )
            % {"count": revoked, "noun": noun},
            messages.SUCCESS,
        )


@admin.register(ClassicToken)
class ClassicTokenAdmin(EnterpriseRevokeMixin, TokenAdmin):
    list_display = ["masked", "note", "user", "scopes", *TOKEN_TIMES, "enterprise_revoked"]
    list_select_related = ["user"]
    search_fields = ["note", "user__username"]
    fields = ["masked", "note", "user", "scopes", *TOKEN_TIMES, "enterprise_revoked"]
    readonly_fields = ["masked", "enterprise_revoked"]
    revocation_field = "classic_token"

    def scope(self, queryset, enterprise_ids):
        return queryset.filter(user__in=_users_of(enterprise_ids))

    # The note is the holder's words, not the enterprise's: only superusers read it.
    def get_list_display(self, request):
        return [name for name in super().get_list_display(request) if name != "note" or sees_everything(request)]

    def get_fields(self, request, obj=None):
        return [name for name in super().get_fields(request, obj) if name != "note" or sees_everything(request)]

    def get_search_fields(self, request):
        return [name for name in super().get_search_fields(request) if name != "note" or sees_everything(request)]

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        if sees_everything(request):
            return super().revoke_selected(request, queryset)
        return self.revoke_in_enterprises(request, queryset.filter(revoked_at__isnull=True), "token")


@admin.register(SSHKey)
class SSHKeyAdmin(EnterpriseRevokeMixin, OwnerScopedAdmin):
    ordering = ["-created_at", "-id"]
    list_display = ["title", "user", "fingerprint", "created_by", "created_at", "deleted_at", "enterprise_revoked"]
    list_select_related = ["user", "created_by_fine_grained_token", "created_by_classic_token"]
    search_fields = ["title", "fingerprint", "user__username"]
    fields = ["title", "user", "fingerprint", "created_by", "created_at", "deleted_at", "enterprise_revoked"]
    readonly_fields = ["created_by", "enterprise_revoked"]
    actions = ["revoke_selected"]
    revocation_field = "ssh_key"

    def scope(self, queryset, enterprise_ids):
        return queryset.filter(user__in=_users_of(enterprise_ids))

    @admin.display(description="created by token")
    def created_by(self, key):
        token = key.created_by_token
        return token.masked if token is not None else ""

    def has_revoke_permission(self, request):
        # Per enterprise only: a key is revoked by the owners of an enterprise its user belongs to.
        return bool(owned_enterprise_ids(request))

    @admin.action(description="Revoke selected SSH keys' access to your enterprise", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        return self.revoke_in_enterprises(request, queryset.filter(deleted_at__isnull=True), "SSH key")


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


class ApiClientAddForm(forms.ModelForm):
    rate_per_minute = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_RATE_PER_MINUTE,
        help_text="Requests per minute before 429. Empty: the site's default.",
    )

    class Meta:
        model = ApiClient
        fields = ["name", "enterprise", "rate_per_minute"]


@admin.register(ApiClient)
class ApiClientAdmin(OwnerScopedAdmin):
    """Clients of the check API (issue 16, point 5).

    Superusers manage every client; an enterprise owner creates and revokes
    only clients of their own enterprises, which learn nothing outside them
    (tokens.engine.access). The secret is shown once, on the page that answers the
    add form; only its digest is stored. Clients are revoked, never deleted.
    """

    enterprise_path = "enterprise"
    can_add = True
    form = ApiClientAddForm
    ordering = ["-created_at", "-id"]
    actions = ["revoke_selected"]
    list_display = ["name", "enterprise", "masked", "rate_per_minute", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["enterprise"]
    list_select_related = ["enterprise"]
    search_fields = ["name"]
    fields = ["name", "enterprise", "masked", "rate_per_minute", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["masked"]

    @admin.display(description="secret")
    def masked(self, client):
        return client.masked

    def get_fields(self, request, obj=None):
        return list(ApiClientAddForm.Meta.fields) if obj is None else self.fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None and "enterprise" in form.base_fields:
            field = form.base_fields["enterprise"]
            if sees_everything(request):
                field.help_text = "Empty: a site-wide client, which may ask about every enterprise."
            else:
                field.required = True  # an enterprise owner's clients are their enterprise's
                field.empty_label = None
        return form

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ValidationError as error:  # the service refused what the form let through: a race on the name
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_form(self, request, form, change):
        """Create through the service (audited), which issues the secret."""
        issued = api_client_create(actor=request.user, **form.cleaned_data)
        request._api_client_secret = issued.plaintext
        return issued.token

    def save_model(self, request, obj, form, change):
        pass  # saved by save_form's service call

    def save_related(self, request, form, formsets, change):
        pass  # no relations to save

    def response_add(self, request, obj, post_url_continue=None):
        """The secret, once: it is in this response and nowhere else (admin views send no-store)."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"API client {obj.name} created",
            "client": obj,
            "secret": request._api_client_secret,
        }
        return TemplateResponse(request, "admin/tokens/apiclient/secret.html", context)

    def has_revoke_permission(self, request):
        return self.has_view_permission(request)

    @admin.action(description="Revoke selected API clients", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        # The changelist hands over only rows of get_queryset: another tenant's ids are dropped.
        revoked = 0
        for client in queryset.filter(revoked_at__isnull=True):
            api_client_revoke(client=client, actor=request.user)
            revoked += 1
        self.message_user(
            request,
            ngettext("Revoked %d API client.", "Revoked %d API clients.", revoked) % revoked,
            messages.SUCCESS,
        )
