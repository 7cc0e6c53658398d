"""The enterprise's three PAT policies, labels exactly as in the seed (SPEC §3)."""

from django.db import models


class FineGrainedAccess(models.TextChoices):
    ORG_CONFIGURABLE = "org_configurable", "Allow organizations to configure access requirements"
    RESTRICT = "restrict", "Restrict access via fine-grained personal access tokens"
    ALLOW = "allow", "Allow access via fine-grained personal access tokens"


class FineGrainedApproval(models.TextChoices):
    ORG_CONFIGURABLE = "org_configurable", "Allow organizations to configure approval requirements"
    REQUIRE = "require", "Require organizations to use the approval flow"
    DISABLED = "disabled", "Disable the approval flow in all organizations"


class ClassicAccess(models.TextChoices):
    ORG_CONFIGURABLE = (
        "org_configurable",
        "Allow organizations to configure personal access tokens (classic) access requirements",
    )
    RESTRICT = "restrict", "Restrict access via personal access tokens (classic)"
    ALLOW = "allow", "Allow access via personal access tokens (classic)"
