from datetime import timedelta

from django.db import models


class CredentialType(models.TextChoices):
    """What a credential is: stored as `AuditEvent.token_type`, answered as a token's `type`."""

    FINE_GRAINED = "fine_grained", "Fine-grained personal access token"
    CLASSIC = "classic", "Personal access token (classic)"
    SSH_KEY = "ssh_key", "SSH key"
    API_CLIENT = "api_client", "API client"


class RepositoryAccess(models.TextChoices):
    # GitHub's API names these none / all / subset (behaviour §2, §5.5).
    PUBLIC = "public", "Public repositories (read-only)"
    ALL = "all", "All repositories"
    SELECTED = "selected", "Only select repositories"

    @property
    def github_name(self) -> str:
        return {"public": "none", "all": "all", "selected": "subset"}[self.value]


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    CANCELLED = "cancelled", "Cancelled"


# How long before an enterprise revokes an unused token its holder is warned (behaviour §5.1).
UNUSED_WARNING_LEAD = timedelta(days=7)


class ExpiryReminderStage(models.TextChoices):
    """When a holder hears that a token is expiring (behaviour §5.2), in the order they come."""

    SEVEN_DAYS = "7_days", "7 days before"
    ONE_DAY = "1_day", "1 day before"
    EXPIRED = "expired", "Expired"
