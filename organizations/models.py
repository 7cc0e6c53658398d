"""Accounts and what they own (behaviour §2): users, organizations, memberships, repositories.

Organization ownership is a django-guardian object permission (behaviour §7), stored
in the direct foreign-key table `OrganizationPermission` so the access check can
join it instead of going through generic relations.
"""

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from guardian.models import UserObjectPermissionBase

from policies.models import OrganizationPolicies

from .choices import BasePermission, Visibility
from .validators import single_line_text

LOGIN_PATTERN = r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})"
REPOSITORY_NAME_PATTERN = r"[A-Za-z0-9._-]{1,100}"

login_validator = RegexValidator(
    rf"^{LOGIN_PATTERN}\Z",
    "Use 1–39 letters, digits, hyphens or underscores, starting with a letter or digit.",
)
repository_name_validator = RegexValidator(
    rf"^{REPOSITORY_NAME_PATTERN}\Z", "Use 1–100 letters, digits, '.', '-' or '_'."
)


class User(AbstractUser):
    username = models.CharField(
        "login",
        max_length=39,
        unique=True,
        validators=[login_validator],
        error_messages={"unique": "A user with that login already exists."},
    )
    managed_by = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_users",
        help_text="Set for Enterprise Managed Users (EMU).",
    )


class Organization(OrganizationPolicies):
    login = models.CharField(max_length=39, unique=True, validators=[login_validator])
    name = models.CharField(max_length=200, blank=True, validators=[single_line_text])
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    base_permission = models.CharField(max_length=8, choices=BasePermission.choices, default=BasePermission.READ)

    class Meta(OrganizationPolicies.Meta):
        ordering = ["login"]
        permissions = [("own_organization", "Owns the organization")]
        constraints = [
            models.CheckConstraint(
                name="organization_base_permission_valid",
                condition=Q(base_permission__in=BasePermission.values),
            ),
            *OrganizationPolicies.Meta.constraints,
        ]

    def __str__(self):
        return self.login


class OrganizationPermission(UserObjectPermissionBase):
    """guardian's direct-FK permission row for organizations (ownership)."""

    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["content_object", "user"])]


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["user", "organization"])]

    def __str__(self):
        return f"{self.user} in {self.organization}"


class Repository(models.Model):
    owner_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="repositories"
    )
    owner_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="repositories")
    # The owning organization's enterprise, kept by `repository_create` so the
    # database itself can refuse internal repositories outside an enterprise.
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=100, validators=[repository_name_validator])
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "repositories"
        constraints = [
            models.CheckConstraint(
                name="repository_exactly_one_owner",
                condition=Q(owner_organization__isnull=False, owner_user__isnull=True)
                | Q(owner_organization__isnull=True, owner_user__isnull=False),
            ),
            models.CheckConstraint(name="repository_visibility_valid", condition=Q(visibility__in=Visibility.values)),
            models.CheckConstraint(
                name="repository_internal_only_in_enterprise",
                condition=~Q(visibility=Visibility.INTERNAL)
                | Q(owner_organization__isnull=False, enterprise__isnull=False),
            ),
            models.CheckConstraint(
                name="repository_enterprise_only_for_organizations",
                condition=Q(enterprise__isnull=True) | Q(owner_organization__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["owner_organization", "name"],
                condition=Q(owner_organization__isnull=False),
                name="repository_name_unique_per_organization",
            ),
            models.UniqueConstraint(
                fields=["owner_user", "name"],
                condition=Q(owner_user__isnull=False),
                name="repository_name_unique_per_user",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def owner_login(self) -> str:
        return self.owner_organization.login if self.owner_organization_id else self.owner_user.username

    @property
    def full_name(self) -> str:
        return f"{self.owner_login}/{self.name}"
