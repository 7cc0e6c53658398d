"""The base every ModelAdmin of the site derives from: one tenancy path (behaviour §5.1, §7).

Enterprise owners are staff (`enterprise_owner_grant` sets ``is_staff``) and
log in at /admin/. Every model the admin registers derives from
`OwnerScopedAdmin`, whose queryset starts from the owner's enterprises as
guardian reads them (`enterprises_owned_by`). Lists, search, filters,
autocomplete, foreign-key pickers and object URLs all go through that one
queryset, so isolation is structural; an object outside it answers 404 like one
that does not exist. Superusers see everything.

The changelist answers only the query parameters its declared filters,
search, ordering and paging take (`DeclaredFiltersChangeList`): Django's own
`lookup_allowed` accepts a lookup on any local field, which would let a list be
filtered on a column it never shows — a password hash or a token digest, read
a character at a time (issue 16).

The apps' admin modules import these bases from here, below all of them, so no
app's admin reaches into another's; `render_admin_page` draws our own pages
(the enterprise settings, the policy page) in the admin's frame.
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import BadRequest, FieldDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import render

from enterprises.selectors import enterprises_owned_by


def sees_everything(request) -> bool:
    return request.user.is_active and request.user.is_superuser


def owned_enterprise_ids(request) -> list[int]:
    """The acting user's enterprises, read once per request through guardian."""
    if not hasattr(request, "_owned_enterprise_ids"):
        request._owned_enterprise_ids = list(enterprises_owned_by(request.user).values_list("pk", flat=True))
    return request._owned_enterprise_ids


class SelectedKeysChecked:
    """An action on selected "ids" that are not keys of the model is a 400 (issue 16).

    Django's admin passes them to ``filter(pk__in=…)``, where a word was a
    ValueError and a number beyond the column an OverflowError: 500s.
    """

    def response_action(self, request, queryset):
        key = self.opts.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                key.run_validators(key.to_python(value))  # the validators hold the column's range
            except ValidationError:
                raise BadRequest("An action was sent for objects that are not in this list.") from None
        return super().response_action(request, queryset)


class DeclaredFiltersChangeList(ChangeList):
    """A changelist that refuses, with a 400, every query parameter no declared filter takes.

    Search (``q``), ordering (``o``), paging (``p``, ``all``), facets and the
    popup parameters never reach the filters (Django's IGNORED_PARAMS); every
    other parameter must be taken by a list filter or the date hierarchy. (A
    raw-id popup's ``limit_choices_to`` lookups would be refused too: no admin
    here has raw-id fields.)
    """

    def get_filters(self, request):
        asked = self.get_filters_params()
        try:
            specs, has_filters, remaining, may_have_duplicates, has_active_filters = super().get_filters(request)
        except IncorrectLookupParameters as error:
            # Only a parameter no filter took reaches the field check that raises this.
            if isinstance(error.__cause__, FieldDoesNotExist):
                raise DisallowedModelAdminLookup(f"Filtering not allowed: {error.__cause__}") from error
            raise
        # What the filters left; the date hierarchy's own __gte/__lt bounds were not asked for.
        unclaimed = sorted(name for name in remaining if name in asked)
        if unclaimed:
            raise DisallowedModelAdminLookup(f"Filtering by {', '.join(unclaimed)} not allowed")
        return specs, has_filters, remaining, may_have_duplicates, has_active_filters


class DeclaredFiltersOnly(SelectedKeysChecked, admin.ModelAdmin):
    """Every admin of the site derives from this: declared filters only, actions on real keys only."""

    def get_changelist(self, request, **kwargs):
        return DeclaredFiltersChangeList


class OwnerScopedAdmin(DeclaredFiltersOnly):
    """A ModelAdmin that shows an enterprise owner only what belongs to their enterprises.

    Subclasses say how a row reaches its enterprise with `enterprise_path` (a
    lookup such as ``"organization__enterprise"``) or override `scope`. The
    ``can_*`` flags say which writes this admin offers at all; the writes then
    go through services in ``save_model`` / ``delete_model``.
    """

    enterprise_path: str = ""
    can_add = False
    can_change = False
    can_delete = False
    list_per_page = 50
    # The unfiltered count would be one more query over every row of the tenant.
    show_full_result_count = False

    def scope(self, queryset, enterprise_ids):
        return queryset.filter(**{f"{self.enterprise_path}__in": enterprise_ids})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if sees_everything(request):
            return queryset
        return self.scope(queryset, owned_enterprise_ids(request))

    def get_object(self, request, object_id, from_field=None):
        # Missing and not-yours both answer 404, instead of the admin's redirect.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} matches the given query.")
        return obj

    def in_scope(self, request, obj) -> bool:
        if sees_everything(request):
            return True
        checked = request.__dict__.setdefault("_in_scope", {})
        key = (self.opts.label, obj.pk)
        if key not in checked:
            checked[key] = self.get_queryset(request).filter(pk=obj.pk).exists()
        return checked[key]

    # Django's has_*_permission ignore the object unless overridden (STYLE).
    def has_module_permission(self, request):
        return sees_everything(request) or bool(owned_enterprise_ids(request))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or self.in_scope(request, obj))

    def has_add_permission(self, request):
        return self.can_add and self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.can_change and self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.can_delete and self.has_view_permission(request, obj)

    # Pickers offer only what the related model's own admin would list.
    def related_queryset(self, request, model):
        related_admin = self.admin_site._registry.get(model)
        if isinstance(related_admin, OwnerScopedAdmin):
            return related_admin.get_queryset(request)
        if sees_everything(request):
            return model._default_manager.all()
        return model._default_manager.none()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self.related_queryset(request, db_field.remote_field.model))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("queryset", self.related_queryset(request, db_field.remote_field.model))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request):
        """A plain relation filter would list every tenant's objects; offer only those in this list."""
        scoped = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation:
                item = (item, admin.RelatedOnlyFieldListFilter)
            scoped.append(item)
        return scoped


def render_admin_page(request, template, *, title, status=200, **context):
    """A page of our own inside the admin's frame (the enterprise settings and its policy page)."""
    return render(request, template, {**admin.site.each_context(request), "title": title, **context}, status=status)
