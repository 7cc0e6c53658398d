"""Forms of the organization pages (behaviour §5.2); the policy forms are policies.forms."""

from datetime import date

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

    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Give a date as YYYY-MM-DD."},
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Give a date as YYYY-MM-DD."},
    )

    def __init__(self, *args, actions=(), action_names=None, **kwargs):
        super().__init__(*args, **kwargs)
        names = action_names or (lambda action: action)
        self.fields["action"].widget.choices = [("", "All actions"), *((action, names(action)) for action in actions)]

    def clean_date_from(self):
        return _plausible(self.cleaned_data["date_from"])

    def clean_date_to(self):
        return _plausible(self.cleaned_data["date_to"])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "Give a date on or after the From date.")
        return cleaned

    def filters(self) -> dict | None:
        """The filters to apply, or None when the query string is not valid."""
        if not self.is_valid():
            return None
        return {
            "action": self.cleaned_data["action"],
            "actor": self.cleaned_data["actor"],
            "token_id": self.cleaned_data["token_id"],
            "date_from": self.cleaned_data["date_from"],
            "date_to": self.cleaned_data["date_to"],
        }


def _plausible(day: date | None) -> date | None:
    # A date the log could hold; far years would overflow the day arithmetic of the filter.
    if day is not None and not 1970 <= day.year <= 9998:
        raise forms.ValidationError("Give a date between 1970 and 9998.")
    return day
