"""The PAT policy fields, written once for the enterprise and the organization (behaviour §3).

`Enterprise` and `Organization` each inherit one of the abstract models below:
the opt-in, the three policies (each with its owner's choices), the two
maximum lifetimes and the revision the stale-save check compares. An
organization's own values are kept, not overwritten, while its enterprise
enforces a choice, so they come back when it stops.
"""

from django.db import models
from django.db.models import Q

from .choices import (
    LIFETIME_DAYS_RANGE,
    EnterpriseClassicAccess,
    EnterpriseFineGrainedAccess,
    EnterpriseFineGrainedApproval,
    OrganizationClassicAccess,
    OrganizationFineGrainedAccess,
    OrganizationFineGrainedApproval,
)

POLICY_FIELDS = (
    "fine_grained_access",
    "fine_grained_approval",
    "classic_access",
    "fine_grained_max_lifetime_days",
    "classic_max_lifetime_days",
)
# The enterprise's settings beyond those it shares with its organizations.
ENTERPRISE_POLICY_FIELDS = (*POLICY_FIELDS, "max_lifetime_exempts_owners")
# What the enterprise's Save flow writes: its policies, and settings no access check reads.
ENTERPRISE_SETTINGS_FIELDS = (*ENTERPRISE_POLICY_FIELDS, "revoke_unused_after_days")
UNUSED_DAYS_RANGE = (30, 365)


def pat_policies(*, fine_grained_access, fine_grained_approval, classic_access) -> type[models.Model]:
    """An abstract model whose three policies take their choices from the given defaults' classes."""
    defaults = {
        "fine_grained_access": fine_grained_access,
        "fine_grained_approval": fine_grained_approval,
        "classic_access": classic_access,
    }
    opted_in = models.BooleanField(default=False)
    policies = {
        name: models.CharField(max_length=16, choices=type(default).choices, default=default)
        for name, default in defaults.items()
    }
    # "%(class)s" names each constraint after the model that inherits it.
    valid = [
        models.CheckConstraint(name=f"%(class)s_{name}_valid", condition=Q(**{f"{name}__in": type(default).values}))
        for name, default in defaults.items()
    ]

    class PatPolicies(models.Model):
        fine_grained_opted_in = opted_in
        fine_grained_access = policies["fine_grained_access"]
        fine_grained_approval = policies["fine_grained_approval"]
        classic_access = policies["classic_access"]
        fine_grained_max_lifetime_days = models.PositiveSmallIntegerField(null=True, blank=True)
        classic_max_lifetime_days = models.PositiveSmallIntegerField(null=True, blank=True)
        # Bumped by every policy save; a form posted with an older revision is stale.
        policy_revision = models.PositiveIntegerField(default=0)

        class Meta:
            abstract = True
            constraints = [
                *valid,
                models.CheckConstraint(
                    name="%(class)s_lifetimes_in_range",
                    condition=(
                        Q(fine_grained_max_lifetime_days__isnull=True)
                        | Q(fine_grained_max_lifetime_days__range=LIFETIME_DAYS_RANGE)
                    )
                    & (
                        Q(classic_max_lifetime_days__isnull=True)
                        | Q(classic_max_lifetime_days__range=LIFETIME_DAYS_RANGE)
                    ),
                ),
            ]

    return PatPolicies


_EnterprisePatPolicies = pat_policies(
    fine_grained_access=EnterpriseFineGrainedAccess.ORG_CONFIGURABLE,
    fine_grained_approval=EnterpriseFineGrainedApproval.ORG_CONFIGURABLE,
    classic_access=EnterpriseClassicAccess.ORG_CONFIGURABLE,
)


class EnterprisePolicies(_EnterprisePatPolicies):
    # "Exempt administrators": the enterprise's maximum lifetimes spare owners where they own (behaviour §3).
    max_lifetime_exempts_owners = models.BooleanField(default=False)
    # Revoke, in the enterprise, tokens unused for this many days (behaviour §5.3); empty: never.
    revoke_unused_after_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta(_EnterprisePatPolicies.Meta):
        abstract = True
        constraints = [
            *_EnterprisePatPolicies.Meta.constraints,
            models.CheckConstraint(
                name="%(class)s_unused_days_in_range",
                condition=Q(revoke_unused_after_days__isnull=True)
                | Q(revoke_unused_after_days__range=UNUSED_DAYS_RANGE),
            ),
        ]


OrganizationPolicies = pat_policies(
    fine_grained_access=OrganizationFineGrainedAccess.ALLOW,
    fine_grained_approval=OrganizationFineGrainedApproval.REQUIRE,
    classic_access=OrganizationClassicAccess.ALLOW,
)


class StagedPolicy(models.Model):
    """PAT policies staged "report only" for one organization or enterprise (behaviour §5.8).

    Checks keep deciding under the saved policies; each check the staged values
    would answer otherwise is counted in a `StagedPolicyFlip`. Enforcing saves
    these values through the usual Save; enforcing or discarding deletes the
    row and, with it, its report.
    """

    organization = models.OneToOneField(
        "organizations.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="staged_policy"
    )
    enterprise = models.OneToOneField(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="staged_policy"
    )
    fine_grained_access = models.CharField(max_length=16)
    fine_grained_approval = models.CharField(max_length=16)
    classic_access = models.CharField(max_length=16)
    fine_grained_max_lifetime_days = models.PositiveSmallIntegerField(null=True, blank=True)
    classic_max_lifetime_days = models.PositiveSmallIntegerField(null=True, blank=True)
    max_lifetime_exempts_owners = models.BooleanField(default=False)  # an enterprise's only
    # The owner's policy_revision when staged: enforcing after another save is refused as stale.
    base_revision = models.PositiveIntegerField()
    staged_by = models.ForeignKey(
        "organizations.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="stagedpolicy_one_owner",
                condition=Q(organization__isnull=False, enterprise__isnull=True)
                | Q(organization__isnull=True, enterprise__isnull=False),
            ),
            models.CheckConstraint(
                name="stagedpolicy_lifetimes_in_range",
                condition=(
                    Q(fine_grained_max_lifetime_days__isnull=True)
                    | Q(fine_grained_max_lifetime_days__range=LIFETIME_DAYS_RANGE)
                )
                & (Q(classic_max_lifetime_days__isnull=True) | Q(classic_max_lifetime_days__range=LIFETIME_DAYS_RANGE)),
            ),
        ]

    def __str__(self):
        return f"Report-only policy of {self.owner}"

    @property
    def owner(self):
        return self.organization if self.organization_id is not None else self.enterprise

    def values(self) -> dict:
        """The staged policies, as `policy_update` takes them."""
        fields = POLICY_FIELDS if self.organization_id is not None else ENTERPRISE_POLICY_FIELDS
        return {name: getattr(self, name) for name in fields}


class StagedPolicyFlip(models.Model):
    """Checks of one credential on one resource and permission that a staged policy would answer otherwise."""

    staged = models.ForeignKey(StagedPolicy, on_delete=models.CASCADE, related_name="flips")
    credential_type = models.CharField(max_length=16)
    credential_id = models.PositiveBigIntegerField()
    holder = models.ForeignKey("organizations.User", on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=200)
    permission = models.CharField(max_length=64)
    level = models.CharField(max_length=8)
    # What the check answered, and the reason code the staged policy would give.
    allowed = models.BooleanField()
    would_be_reason = models.CharField(max_length=40)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["staged", "credential_type", "credential_id", "resource", "permission", "level"],
                name="stagedpolicyflip_one_row_per_check",
            ),
        ]
        indexes = [models.Index(fields=["staged", "-last_seen"], name="stagedpolicyflip_recent")]

    def __str__(self):
        return f"{self.credential_type} {self.credential_id} on {self.resource}: {self.permission} {self.level}"
