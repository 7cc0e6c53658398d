"""The webhook form of the organization's settings (behaviour §5.7)."""

from django import forms

from organizations.validators import single_line_text

from .choices import WebhookEvent
from .models import SECRET_LIMIT, URL_LIMIT
from .validators import validate_target_url


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Payload URL",
        max_length=URL_LIMIT,
        validators=[validate_target_url],
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks/patrol", "autocomplete": "off"}),
    )
    secret = forms.CharField(
        label="Secret",
        max_length=SECRET_LIMIT,
        validators=[single_line_text],
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["secret"].required = False
            self.fields["secret"].help_text = "A secret is set. Leave this empty to keep it, or enter a new one."
        else:
            self.fields[
                "secret"
            ].help_text = "Every delivery is signed with it (X-Hub-Signature-256). It is not shown again."
