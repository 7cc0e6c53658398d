"""Forms of the token pages and the organization's approval queue (behaviour §5.2).

Fields come from the catalogue (tokens.engine.catalogue), the single source; the
services validate again, and their errors land on the field they name.
"""

from django import forms
from django.core.exceptions import ValidationError

from organizations.validators import multi_line_text, single_line_text

from .choices import RepositoryAccess
from .engine.catalogue import PERMISSION_DESCRIPTIONS, PERMISSIONS, SCOPE_PARENTS, SCOPES, ResourceKind
from .models import TEXT_LIMIT
from .selectors import LifetimeLimit, repositories_for_picker, resource_owner_choices
from .services import MAX_EXPIRY_DAYS, scopes_without_implied

MAX_SELECTION = 100  # approve, deny or revoke at most this many at once (behaviour §5.2)

EXPIRATION_CHOICES = [
    ("7", "7 days"),
    ("30", "30 days"),
    ("60", "60 days"),
    ("90", "90 days"),
    ("custom", "Custom…"),
    ("none", "No expiration"),
]

PERMISSION_GROUPS = (
    (ResourceKind.REPOSITORY, "Repository permissions"),
    (ResourceKind.ORGANIZATION, "Organization permissions"),
    (ResourceKind.ACCOUNT, "Account permissions"),
)
LEVEL_LABELS = {"read": "Read-only", "write": "Read and write", "admin": "Admin"}


def apply_service_errors(form: forms.Form, error: ValidationError, *, rename: dict | None = None) -> None:
    """Put a service's ValidationError on the fields it names (others: the form)."""
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        field = rename.get(field, field)
        form.add_error(field if field in form.fields else None, messages)


class ExpirationSelect(forms.Select):
    """The expiration choices, those the maximum lifetime does not allow hidden and disabled.

    They stay in the page so that the fine-grained form's script can offer them
    again when another resource owner is chosen (static/js/token-form.js).
    """

    allowed: set[str] | None = None  # None: every choice

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if self.allowed is not None and value not in self.allowed:
            option["attrs"].update(hidden=True, disabled=True)
        return option


def allowed_expirations(limit: LifetimeLimit | None) -> set[str] | None:
    """The expiration choices within `limit` (behaviour §3): no "No expiration", no preset beyond it."""
    if limit is None:
        return None
    return {
        value for value, _ in EXPIRATION_CHOICES if value == "custom" or (value.isdigit() and int(value) <= limit.days)
    }


class ExpirationMixin(forms.Form):
    """Expires in: a preset, a custom number of days or never, within the maximum lifetime that governs the token."""

    expiration = forms.ChoiceField(choices=EXPIRATION_CHOICES, initial="30", widget=ExpirationSelect)
    custom_days = forms.IntegerField(
        min_value=1, max_value=MAX_EXPIRY_DAYS, required=False, help_text=f"1 to {MAX_EXPIRY_DAYS} days."
    )

    def __init__(self, *args, lifetime: LifetimeLimit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.bound_expiration(lifetime)

    def bound_expiration(self, limit: LifetimeLimit | None) -> None:
        """Offer only the expirations `limit` allows, and say why."""
        self.lifetime = limit
        allowed = allowed_expirations(limit)
        self.fields["expiration"].widget.allowed = allowed
        self.fields["expiration"].widget.attrs["aria-describedby"] = "lifetime-limit"
        self.max_days = MAX_EXPIRY_DAYS if limit is None else limit.days
        custom = self.fields["custom_days"]
        custom.widget.attrs["max"] = self.max_days
        custom.help_text = f"1 to {self.max_days} days."
        if allowed is not None and "30" not in allowed and not self.is_bound:
            presets = sorted((int(value) for value in allowed if value.isdigit()), reverse=True)
            self.initial["expiration"] = str(presets[0]) if presets else "custom"
            self.initial.setdefault("custom_days", None if presets else limit.days)

    def lifetime_for(self, data: dict) -> LifetimeLimit | None:
        return self.lifetime

    def clean(self):
        data = super().clean()
        expiration = data.get("expiration")
        if expiration == "none":
            data["expires_in_days"] = None
        elif expiration == "custom":
            if data.get("custom_days") is None and "custom_days" not in self.errors:
                self.add_error("custom_days", f"Give a number of days from 1 to {self.max_days}.")
            data["expires_in_days"] = data.get("custom_days")
        elif expiration:
            data["expires_in_days"] = int(expiration)
        self._check_lifetime(data)
        return data

    def _check_lifetime(self, data: dict) -> None:
        limit = self.lifetime_for(data)
        if limit is None or "expires_in_days" not in data:
            return
        days = data["expires_in_days"]
        if days is None or days > limit.days:
            field = "custom_days" if data.get("expiration") == "custom" else "expiration"
            if field not in self.errors:
                self.add_error(field, f"{limit.sentence}; choose {limit.days} days or fewer.")


class FineGrainedPermissionsMixin(forms.Form):
    """One select per catalogue permission: no access, or one of its levels."""

    def add_permission_fields(self, initial: dict | None = None):
        initial = initial or {}
        for permission in PERMISSIONS.values():
            if permission.kind == ResourceKind.ENTERPRISE:
                continue  # an enterprise is never a fine-grained token's resource owner
            self.fields[f"permission_{permission.name}"] = forms.ChoiceField(
                label=permission.title,
                help_text=PERMISSION_DESCRIPTIONS.get(permission.name, ""),
                choices=[("", "No access"), *((level, LEVEL_LABELS[level]) for level in permission.levels)],
                required=False,
                initial=initial.get(permission.name, ""),
            )

    def permission_groups(self):
        groups = []
        for kind, title in PERMISSION_GROUPS:
            fields = [self[f"permission_{p.name}"] for p in PERMISSIONS.values() if p.kind == kind]
            groups.append({"kind": str(kind), "title": title, "fields": fields})
        return groups

    def clean_permissions(self) -> dict[str, str]:
        return {
            name[len("permission_") :]: value
            for name, value in self.cleaned_data.items()
            if name.startswith("permission_") and value
        }


class RepositoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, repository):
        return f"{repository.full_name} ({repository.visibility})"


class FineGrainedTokenForm(ExpirationMixin, FineGrainedPermissionsMixin):
    # The page's order, which the error summary follows.
    field_order = ["name", "description", "resource_owner", "expiration", "custom_days", "repository_access"]
    name = forms.CharField(max_length=40, validators=[single_line_text])
    description = forms.CharField(
        max_length=1024, required=False, validators=[multi_line_text], widget=forms.Textarea(attrs={"rows": 2})
    )
    resource_owner = forms.ChoiceField()
    repository_access = forms.ChoiceField(
        choices=RepositoryAccess.choices, initial=RepositoryAccess.PUBLIC, widget=forms.RadioSelect
    )
    repositories = RepositoryChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, help_text="With selected access only."
    )
    justification = forms.CharField(
        max_length=TEXT_LIMIT,
        required=False,
        validators=[multi_line_text],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Tell the organization's owners why you need this access (where approval is required).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.owner_choices = resource_owner_choices(user)
        self.organizations = {c.organization.login: c.organization for c in self.owner_choices if c.organization}
        self.fields["resource_owner"].choices = [
            (choice.organization.login if choice.organization else user.username, _owner_label(choice, user))
            for choice in self.owner_choices
        ]
        self.fields["resource_owner"].initial = user.username
        self.fields["repositories"].queryset = repositories_for_picker(user)
        self.add_permission_fields()
        self.bound_expiration(self.owner_lifetime(self.data.get("resource_owner") if self.is_bound else None))

    def owner_lifetime(self, login: str | None) -> LifetimeLimit | None:
        """The maximum lifetime a token for that resource owner may have (none for the user themself)."""
        organization = self.organizations.get(login) if login else None
        return next((c.lifetime for c in self.owner_choices if c.organization == organization), None)

    def lifetime_for(self, data: dict) -> LifetimeLimit | None:
        return self.owner_lifetime(data.get("resource_owner"))

    def clean(self):
        data = super().clean()
        data["permissions"] = self.clean_permissions()
        login = data.get("resource_owner")
        data["organization"] = self.organizations.get(login) if login else None
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "resource_owner": data["organization"],
            "repository_access": data["repository_access"],
            "repositories": list(data["repositories"]),
            "permissions": data["permissions"],
            "expires_in_days": data["expires_in_days"],
            "justification": data["justification"],
        }


def _owner_label(choice, user) -> str:
    if choice.organization is None:
        return f"{user.username} (you) — {choice.note}"
    return f"{choice.organization.login} — {choice.note}"


class FineGrainedTokenEditForm(FineGrainedPermissionsMixin):
    """Edit: the resource owner and expiry stay; asking for more opens a new request."""

    name = FineGrainedTokenForm.base_fields["name"]
    description = FineGrainedTokenForm.base_fields["description"]
    repository_access = forms.ChoiceField(choices=RepositoryAccess.choices, widget=forms.RadioSelect)
    repositories = RepositoryChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple)
    justification = FineGrainedTokenForm.base_fields["justification"]

    def __init__(self, *args, token, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": token.name,
                "description": token.description,
                "repository_access": token.repository_access,
                "repositories": list(token.repositories.all()),
            },
        )
        super().__init__(*args, **kwargs)
        self.token = token
        owner = token.resource_owner_organization
        repositories = repositories_for_picker(token.user)
        if owner is not None:
            repositories = repositories.filter(owner_organization=owner)
        else:
            repositories = repositories.filter(owner_user=token.user)
        self.fields["repositories"].queryset = repositories
        self.add_permission_fields(initial=token.permissions)

    def clean(self):
        data = super().clean()
        data["permissions"] = self.clean_permissions()
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "repository_access": data["repository_access"],
            "repositories": list(data["repositories"]),
            "permissions": data["permissions"],
            "justification": data["justification"],
        }


def _scope_label(scope: str) -> str:
    depth, parent = 0, SCOPE_PARENTS[scope]
    while parent is not None:
        depth, parent = depth + 1, SCOPE_PARENTS[parent]
    return f"{'— ' * depth}{scope}"


class ClassicScopesMixin(forms.Form):
    note = forms.CharField(max_length=100, validators=[single_line_text], help_text="What's this token for?")
    scopes = forms.MultipleChoiceField(
        choices=[(scope, _scope_label(scope)) for scope in SCOPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_scopes(self):
        """A ticked parent scope includes its children, with or without JavaScript (GitHub's meaning)."""
        return scopes_without_implied(self.cleaned_data["scopes"])

    def scope_rows(self):
        """Each scope's checkbox with its parent and depth, for the hierarchy the page ticks."""
        rows = []
        for checkbox in self["scopes"]:
            scope = checkbox.data["value"]
            depth, parent = 0, SCOPE_PARENTS[scope]
            while parent is not None:
                depth, parent = depth + 1, SCOPE_PARENTS[parent]
            rows.append({"checkbox": checkbox, "scope": scope, "parent": SCOPE_PARENTS[scope] or "", "depth": depth})
        return rows


class ClassicTokenForm(ExpirationMixin, ClassicScopesMixin):
    field_order = ["note", "expiration", "custom_days", "scopes"]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"note": data["note"], "scopes": data["scopes"], "expires_in_days": data["expires_in_days"]}


class ClassicTokenEditForm(ClassicScopesMixin):
    """Edit: the note and scopes; the secret and expiry stay (regenerate to change them)."""

    def __init__(self, *args, token, **kwargs):
        kwargs.setdefault("initial", {"note": token.note, "scopes": list(token.scopes)})
        super().__init__(*args, **kwargs)
        self.token = token

    def service_arguments(self) -> dict:
        return {"note": self.cleaned_data["note"], "scopes": self.cleaned_data["scopes"]}


class RegenerateForm(ExpirationMixin):
    pass


# --- The organization's queue -------------------------------------------------


class SelectionField(forms.TypedMultipleChoiceField):
    """Ids picked from the page: whole numbers, at most MAX_SELECTION."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, required=True, **kwargs)

    def valid_value(self, value):
        return str(value).isdigit() and len(str(value)) < 19

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_SELECTION:
            raise ValidationError(f"Select at most {MAX_SELECTION} at once; you selected {len(value)}.")


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")])
    reason = forms.CharField(
        max_length=TEXT_LIMIT,
        required=False,
        validators=[multi_line_text],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional; the requester sees it when you deny.",
    )


class BulkReviewForm(ReviewForm):
    request_ids = SelectionField(error_messages={"required": "Select at least one request."})


class BulkRevokeForm(forms.Form):
    grant_ids = SelectionField(error_messages={"required": "Select at least one token."})
