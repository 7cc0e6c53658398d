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
