"""What a webhook endpoint can subscribe to (behaviour §5.7)."""

from django.db import models


class WebhookEvent(models.TextChoices):
    # GitHub's own event, with its actions created, approved, denied and cancelled.
    PAT_REQUEST = "personal_access_token_request", "Token requests: created, approved, denied, cancelled"
    # Patrol's events, shaped like GitHub's (action, object, organization, sender).
    PAT_GRANT = "personal_access_token_grant", "Token access revoked"
    PAT_EXPIRY = "personal_access_token_expiry", "Tokens expiring and expired"
    PAT_POLICY = "personal_access_token_policy", "Token policies changed"
