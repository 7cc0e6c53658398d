"""The PAT policies' choices, labels exactly as GitHub's (behaviour §3).

An enterprise may leave each policy to its organizations (``org_configurable``)
or enforce one value on all of them; an organization chooses only between the
values themselves.
"""

from django.db import models

# Token lifetimes a policy may set, in days (behaviour §3, maximum lifetime).
LIFETIME_DAYS_RANGE = (1, 366)


class EnterpriseFineGrainedAccess(models.TextChoices):
    ORG_CONFIGURABLE = "org_configurable", "Allow organizations to configure access requirements"
    RESTRICT = "restrict", "Restrict access via fine-grained personal access tokens"
    ALLOW = "allow", "Allow access via fine-grained personal access tokens"


class EnterpriseFineGrainedApproval(models.TextChoices):
    ORG_CONFIGURABLE = "org_configurable", "Allow organizations to configure approval requirements"
    REQUIRE = "require", "Require organizations to use the approval flow"
    DISABLED = "disabled", "Disable the approval flow in all organizations"


class EnterpriseClassicAccess(models.TextChoices):
    ORG_CONFIGURABLE = (
        "org_configurable",
        "Allow organizations to configure personal access tokens (classic) access requirements",
    )
    RESTRICT = "restrict", "Restrict access via personal access tokens (classic)"
    ALLOW = "allow", "Allow access via personal access tokens (classic)"


class OrganizationFineGrainedAccess(models.TextChoices):
    ALLOW = "allow", "Allow access via fine-grained personal access tokens"
    RESTRICT = "restrict", "Restrict access via fine-grained personal access tokens"


class OrganizationFineGrainedApproval(models.TextChoices):
    REQUIRE = "require", "Require administrator approval"
    NOT_REQUIRED = "not_required", "Do not require administrator approval"


class OrganizationClassicAccess(models.TextChoices):
    ALLOW = "allow", "Allow access via personal access tokens (classic)"
    RESTRICT = "restrict", "Restrict access via personal access tokens (classic)"
