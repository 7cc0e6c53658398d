"""Forms of the organization pages (behaviour §5.2); the policy forms are policies.forms."""

from django import forms

from .models import LOGIN_PATTERN


class AuditLogFilterForm(forms.Form):
    """The audit log's filters (behaviour §8), read from the query string."""

    # A select of the actions in this log; any other action is simply not found.
    action = forms.CharField(required=False, max_length=64, widget=forms.Select)
    actor = forms.RegexField(
        regex=rf"^{LOGIN_PATTERN}\Z",
        required=False,
        max_length=39,
        error_messages={"invalid": "Give the actor's login."},
    )
    token_id = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        label="Token id",
        error_messages={"invalid": "Give a token id: a whole number."},
    )

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].widget.choices = [("", "All actions"), *((action, action) for action in actions)]

    def filters(self) -> dict | None:
        """The filters to apply, or None when the query string is not valid."""
        if not self.is_valid():
            return None
        return {
            "action": self.cleaned_data["action"],
            "actor": self.cleaned_data["actor"],
            "token_id": self.cleaned_data["token_id"],
        }
