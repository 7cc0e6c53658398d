"""The inventory's filters: every query parameter the page takes is a field here, and any other is refused."""

from django import forms
from django.core.exceptions import ValidationError

from tokens.engine.catalogue import PERMISSIONS, SCOPES

from .selectors import KINDS, Filters

SORTS = [
    ("-created", "Newest first"),
    ("created", "Oldest first"),
    ("expires", "Expiring soonest"),
    ("-expires", "Expiring latest"),
    ("-last_used", "Used most recently"),
    ("last_used", "Used least recently"),
    ("holder", "Holder, A to Z"),
    ("-holder", "Holder, Z to A"),
    ("type", "Type"),
]
PERMISSION_CHOICES = [
    ("", "Any permission or scope"),
    ("Fine-grained permissions", [(name, permission.title) for name, permission in PERMISSIONS.items()]),
    ("Classic scopes", [(f"scope:{scope}", scope) for scope in SCOPES]),
]


class InventoryFilterForm(forms.Form):
    type = forms.ChoiceField(required=False, choices=[("", "All types"), *((kind.value, kind.label) for kind in KINDS)])
    organization = forms.ChoiceField(required=False)
    expiring = forms.IntegerField(required=False, min_value=1, max_value=366, label="Expiring within (days)")
    unused = forms.IntegerField(required=False, min_value=1, max_value=3650, label="Unused for (days)")
    permission = forms.ChoiceField(required=False, choices=PERMISSION_CHOICES, label="Permission or scope")
    q = forms.CharField(required=False, max_length=100, label="Search")
    o = forms.ChoiceField(required=False, choices=SORTS, label="Sort")
    p = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, widget=forms.HiddenInput)

    def __init__(self, data, *, organizations: dict[str, int]):
        super().__init__(data)
        self.organization_ids = organizations
        self.fields["organization"].choices = [("", "All organizations"), *((login, login) for login in organizations)]
        self.unknown = sorted(name for name in data if name not in self.fields)

    def clean(self):
        if self.unknown:
            raise ValidationError(f"The inventory has no filter named {', '.join(self.unknown)}.")
        return super().clean()

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            kind=data["type"],
            organization_id=self.organization_ids.get(data["organization"]),
            expiring_within=data["expiring"],
            unused_for=data["unused"],
            permission=data["permission"],
            search=data["q"],
            order=data["o"] or "-created",
        )

    def errors_in_words(self) -> list[str]:
        """Each error with the name of its field, for the page's banner."""
        words = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            words += [f"{label or name.capitalize()}: {error}" if name != "__all__" else error for error in errors]
        return words
