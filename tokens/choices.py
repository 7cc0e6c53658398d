from django.db import models


class RepositoryAccess(models.TextChoices):
    # GitHub's API names these none / all / subset (SPEC §2, §5.5).
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
