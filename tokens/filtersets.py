"""The filters of an organization's pending requests and active tokens (behaviour §5.2, §5.5).

One FilterSet per list, read by the site page and by its v3 endpoint alike,
with GitHub's parameter names: ``owner[]``, ``repository``, ``permission``
(``issues_read``), ``last_used_before``/``after``, ``token_id[]``, ``sort``
and ``direction``. The page's form shows owner, repository and permission.
"""

from datetime import timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES

from organizations.models import Repository

from .choices import RepositoryAccess
from .engine.catalogue import LEVEL_RANK, LEVELS, PERMISSION_DESCRIPTIONS, PERMISSIONS, ResourceKind
from .models import AccessRequest, ClassicToken, FineGrainedToken, Grant, SSHKey

MAX_OWNERS = 10
MAX_TOKEN_IDS = 50
BIGINT_MAX = 2**63 - 1


class GitHubArrayInput(forms.TextInput):
    """GitHub spells list parameters ``owner[]``; the bare name is taken too (the page's text box)."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(f"{name}[]") + data.getlist(name)

    def value_omitted_from_data(self, data, files, name):
        return f"{name}[]" not in data and name not in data

    def format_value(self, value):
        if isinstance(value, list):
            return ", ".join(map(str, value)) or None
        return super().format_value(value)


class GitHubArrayField(forms.Field):
    """A list of values, each cleaned by `child`; blanks are dropped, at most `max_items`."""

    widget = GitHubArrayInput

    def __init__(self, *, child: forms.Field, max_items: int, **kwargs):
        self.child, self.max_items = child, max_items
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return self.child.widget_attrs(widget)

    def to_python(self, value):
        return [item for item in (value or []) if str(item).strip()]

    def validate(self, value):
        if len(value) > self.max_items:
            raise ValidationError(f"Ensure this field has no more than {self.max_items} elements.", code="max_length")

    def clean(self, value):
        value = super().clean(value)
        return [self.child.clean(item) for item in value]


def parse_permission(value: str) -> tuple[str, str]:
    """GitHub's ``issues_read`` (or ``issues:read``); ValueError naming the problem."""
    value = value.strip()
    if ":" in value:
        name, _, level = value.partition(":")
    else:
        name, _, level = value.rpartition("_")
    if name not in PERMISSIONS or level not in PERMISSIONS[name].levels:
        raise ValueError(f"Unknown permission {value!r}; use the form issues_read.")
    return name, level


KIND_GROUPS = {
    ResourceKind.REPOSITORY: "Repository permissions",
    ResourceKind.ORGANIZATION: "Organization permissions",
    ResourceKind.ACCOUNT: "Account permissions",
}


def permission_choices() -> list:
    """The page's list: each permission by its title and level, then what it allows, grouped by kind
    (an organization's requests and grants never hold enterprise permissions, so those are left out)."""
    groups = {kind: [] for kind in KIND_GROUPS}
    for permission in PERMISSIONS.values():
        if permission.kind in groups:
            groups[permission.kind] += [
                (
                    f"{permission.name}_{level}",
                    f"{permission.title}: {level} — {PERMISSION_DESCRIPTIONS[permission.name]}",
                )
                for level in permission.levels
            ]
    return [("", "Any permission"), *((KIND_GROUPS[kind], choices) for kind, choices in groups.items() if choices)]


class PermissionField(forms.CharField):
    """A permission and level, cleaned to ``(name, level)``; the page picks it from a list."""

    def __init__(self, **kwargs):
        super().__init__(widget=forms.Select(choices=permission_choices()), **kwargs)
        self.max_length = 100  # checked in to_python; set after the widget is built, which takes no maxlength

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > self.max_length:
            raise ValidationError(
                f"Ensure this field has no more than {self.max_length} characters.", code="max_length"
            )
        try:
            return parse_permission(value)
        except ValueError as error:
            # The message quotes the input: a params placeholder, so a "%" in it is never formatted.
            raise ValidationError("%(message)s", code="invalid", params={"message": str(error)}) from error


class PermissionFilter(django_filters.Filter):
    """Rows that ask for (or hold) the permission at this level or above."""

    field_class = PermissionField

    def filter(self, queryset, value):
        if value in EMPTY_VALUES:
            return queryset
        name, level = value
        covering = [lv for lv in LEVELS if LEVEL_RANK[lv] >= LEVEL_RANK[level]]
        return queryset.filter(**{f"permissions__{name}__in": covering})


class GitHubArrayFilter(django_filters.Filter):
    field_class = GitHubArrayField


class StrictForm(forms.Form):
    """With `strict` (GitHub's API) a parameter given blank is an error; a page's form sends blanks for "any"."""

    strict = False

    def clean(self):
        data = super().clean()
        if self.strict:
            for name, field in self.fields.items():
                raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
                values = raw if isinstance(raw, list) else [raw]
                if raw is not None and name not in self.errors and any(not str(v).strip() for v in values):
                    self.add_error(name, ValidationError("This field may not be blank.", code="blank"))
        return data


class OrganizationQueueFilterSet(django_filters.FilterSet):
    """GitHub's list filters (declared in the order of its documentation); `created_field` is what ``sort`` names."""

    created_field = "created_at"

    sort = django_filters.ChoiceFilter(choices=[("created_at", "created_at")], method="sort_by", initial="created_at")
    direction = django_filters.ChoiceFilter(
        choices=[("asc", "asc"), ("desc", "desc")], method="sort_by", initial="desc"
    )
    owner = GitHubArrayFilter(
        field_name="token__user__username",
        lookup_expr="in",
        label="Owner",
        child=forms.CharField(max_length=39),
        max_items=MAX_OWNERS,
    )
    repository = django_filters.CharFilter(method="covering_repository", max_length=100, label="Repository")
    permission = PermissionFilter(label="Permission")
    last_used_before = django_filters.IsoDateTimeFilter(field_name="token__last_used_at", lookup_expr="lte")
    last_used_after = django_filters.IsoDateTimeFilter(field_name="token__last_used_at", lookup_expr="gte")
    token_id = GitHubArrayFilter(
        field_name="token_id",
        lookup_expr="in",
        child=forms.IntegerField(min_value=1, max_value=BIGINT_MAX),
        max_items=MAX_TOKEN_IDS,
    )

    page_fields = ("owner", "repository", "permission")

    class Meta:
        fields = []
        form = StrictForm

    def __init__(self, data=None, queryset=None, *, organization, strict: bool = False, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.organization = organization
        self.form.strict = strict

    def page_form_fields(self):
        """The fields the site page shows; the others still apply when a URL carries them."""
        return [self.form[name] for name in self.page_fields]

    def filter_queryset(self, queryset):
        # The repository filter reads the candidates' snapshots: it runs last, on the fewest rows.
        data = self.form.cleaned_data
        for name in sorted(data, key=lambda name: name == "repository"):
            queryset = self.filters[name].filter(queryset, data[name])
        return queryset

    def sort_by(self, queryset, name, value):
        # GitHub sorts by creation only; direction flips it (newest first by default).
        prefix = "" if self.form.cleaned_data.get("direction") == "asc" else "-"
        return queryset.order_by(f"{prefix}{self.created_field}", f"{prefix}id")

    def covering_repository(self, queryset, name, value):
        """Rows whose snapshot reaches the named repository of the organization.

        Snapshots keep repository ids as a JSON list; SQLite has no JSON
        containment, so one query reads the candidates' snapshots and the match
        is made here — the same on every database.
        """
        repository_id = (
            Repository.objects.filter(owner_organization=self.organization, name=value)
            .values_list("pk", flat=True)
            .first()
        )
        if repository_id is None:
            return queryset.none()
        matching = [
            pk
            for pk, access, ids in queryset.values_list("pk", "repository_access", "repository_ids")
            if access == RepositoryAccess.ALL or (access == RepositoryAccess.SELECTED and repository_id in (ids or ()))
        ]
        return queryset.filter(pk__in=matching)


class AccessRequestFilterSet(OrganizationQueueFilterSet):
    class Meta(OrganizationQueueFilterSet.Meta):
        model = AccessRequest


EXPIRING_CHOICES = [("7", "Within 7 days"), ("30", "Within 30 days")]


class GrantFilterSet(OrganizationQueueFilterSet):
    created_field = "granted_at"  # GitHub's created_at of a grant: when access was granted

    # Patrol's own: tokens that have not expired yet and will within the days chosen (the overview links here).
    expiring = django_filters.ChoiceFilter(
        choices=EXPIRING_CHOICES, method="expiring_within", label="Expires", empty_label="Any time"
    )

    page_fields = (*OrganizationQueueFilterSet.page_fields, "expiring")

    def expiring_within(self, queryset, name, value):
        now = timezone.now()
        return queryset.filter(token__expires_at__gt=now, token__expires_at__lte=now + timedelta(days=int(value)))

    class Meta(OrganizationQueueFilterSet.Meta):
        model = Grant


# --- A token holder's own lists (/settings/tokens/) ----------------------------


class HolderListFilterSet(django_filters.FilterSet):
    """Search and sort of a holder's tokens or SSH keys: ``q`` (words in `search_fields`) and ``sort``.

    A sort key names a column; a leading ``-`` reverses it. Never-set dates
    (no expiry, never used) sort last either way, on every database.
    """

    search_fields: tuple[str, ...] = ()
    sort_fields: dict[str, str] = {}
    default_sort = "-created"

    q = django_filters.CharFilter(method="search", max_length=100, label="Search")
    sort = django_filters.ChoiceFilter(method="sort_by", label="Sort by", empty_label=None)

    class Meta:
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("sort"):
            data["sort"] = self.default_sort
        super().__init__(data, *args, **kwargs)
        self.filters["sort"].extra["choices"] = self.sort_choices()

    @classmethod
    def sort_choices(cls):
        choices = []
        for key, (_, label) in cls.sort_fields.items():
            choices += [
                (key, f"{label}, {cls.ascending_words(key)}"),
                (f"-{key}", f"{label}, {cls.descending_words(key)}"),
            ]
        return choices

    @staticmethod
    def ascending_words(key):
        return "A to Z" if key in ("name", "note", "title") else "oldest first" if key != "expires" else "soonest first"

    @staticmethod
    def descending_words(key):
        return "Z to A" if key in ("name", "note", "title") else "newest first" if key != "expires" else "latest first"

    def search(self, queryset, name, value):
        words = value.split()
        for word in words:
            match = Q()
            for field in self.search_fields:
                match |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(match)
        return queryset

    def sort_by(self, queryset, name, value):
        descending = value.startswith("-")
        column, _ = self.sort_fields[value.lstrip("-")]
        order = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
        return queryset.order_by(order, "-id" if descending else "id")


class HolderFineGrainedTokenFilterSet(HolderListFilterSet):
    search_fields = ("name", "description")
    sort_fields = {
        "name": ("name", "Name"),
        "created": ("created_at", "Created"),
        "expires": ("expires_at", "Expires"),
        "last_used": ("last_used_at", "Last used"),
    }

    class Meta(HolderListFilterSet.Meta):
        model = FineGrainedToken


class HolderClassicTokenFilterSet(HolderListFilterSet):
    search_fields = ("note",)
    sort_fields = {
        "note": ("note", "Note"),
        "created": ("created_at", "Created"),
        "expires": ("expires_at", "Expires"),
        "last_used": ("last_used_at", "Last used"),
    }

    class Meta(HolderListFilterSet.Meta):
        model = ClassicToken


class HolderSSHKeyFilterSet(HolderListFilterSet):
    search_fields = ("title", "fingerprint")
    sort_fields = {"title": ("title", "Title"), "created": ("created_at", "Added")}

    class Meta(HolderListFilterSet.Meta):
        model = SSHKey
