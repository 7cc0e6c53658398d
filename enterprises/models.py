"""Enterprises (behaviour §2); their PAT policy fields come from policies.models (behaviour §3).

Enterprise ownership is a django-guardian object permission (behaviour §7), stored in
the direct foreign-key table `EnterprisePermission`.
"""

from django.core.validators import RegexValidator
from django.db import models
from guardian.models import UserObjectPermissionBase

from organizations.validators import single_line_text
from policies.models import EnterprisePolicies

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,38})\Z",
    "Use 1–39 lowercase letters, digits or hyphens, starting with a letter or digit.",
)


class Enterprise(EnterprisePolicies):
    slug = models.CharField(max_length=39, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200, validators=[single_line_text])

    class Meta(EnterprisePolicies.Meta):
        ordering = ["slug"]
        permissions = [("own_enterprise", "Owns the enterprise")]

    def __str__(self):
        return self.name or self.slug


class EnterprisePermission(UserObjectPermissionBase):
    """guardian's direct-FK permission row for enterprises (ownership)."""

    content_object = models.ForeignKey(Enterprise, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["content_object", "user"])]
