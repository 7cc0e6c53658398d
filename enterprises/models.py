"""Enterprises and their PAT policies (SPEC §2, §3).

Enterprise ownership is a django-guardian object permission (SPEC §7), stored in
the direct foreign-key table `EnterprisePermission`.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from guardian.models import UserObjectPermissionBase

from organizations.choices import LIFETIME_DAYS_RANGE
from organizations.validators import single_line_text

from .choices import ClassicAccess, FineGrainedAccess, FineGrainedApproval

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,38})\Z",
    "Use 1–39 lowercase letters, digits or hyphens, starting with a letter or digit.",
)


class Enterprise(models.Model):
    slug = models.CharField(max_length=39, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200, validators=[single_line_text])
    fine_grained_opted_in = models.BooleanField(default=False)
    fine_grained_access = models.CharField(
        max_length=16, choices=FineGrainedAccess.choices, default=FineGrainedAccess.ORG_CONFIGURABLE
    )
    fine_grained_approval = models.CharField(
        max_length=16,
        choices=FineGrainedApproval.choices,
        default=FineGrainedApproval.ORG_CONFIGURABLE,
    )
    classic_access = models.CharField(
        max_length=16, choices=ClassicAccess.choices, default=ClassicAccess.ORG_CONFIGURABLE
    )
    fine_grained_max_lifetime_days = models.PositiveSmallIntegerField(null=True, blank=True)
    classic_max_lifetime_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Bumped by every policy save; a form posted with an older revision is stale.
    policy_revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["slug"]
        permissions = [("own_enterprise", "Owns the enterprise")]
        constraints = [
            models.CheckConstraint(
                name="enterprise_fine_grained_access_valid",
                condition=Q(fine_grained_access__in=FineGrainedAccess.values),
            ),
            models.CheckConstraint(
                name="enterprise_fine_grained_approval_valid",
                condition=Q(fine_grained_approval__in=FineGrainedApproval.values),
            ),
            models.CheckConstraint(
                name="enterprise_classic_access_valid",
                condition=Q(classic_access__in=ClassicAccess.values),
            ),
            models.CheckConstraint(
                name="enterprise_lifetimes_in_range",
                condition=(
                    Q(fine_grained_max_lifetime_days__isnull=True)
                    | Q(fine_grained_max_lifetime_days__range=LIFETIME_DAYS_RANGE)
                )
                & (Q(classic_max_lifetime_days__isnull=True) | Q(classic_max_lifetime_days__range=LIFETIME_DAYS_RANGE)),
            ),
        ]

    def __str__(self):
        return self.name or self.slug


class EnterprisePermission(UserObjectPermissionBase):
    """guardian's direct-FK permission row for enterprises (ownership)."""

    content_object = models.ForeignKey(Enterprise, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["content_object", "user"])]
