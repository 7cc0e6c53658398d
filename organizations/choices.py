from django.db import models

# Token lifetimes a policy may set, in days (SPEC §3, maximum lifetime).
LIFETIME_DAYS_RANGE = (1, 366)


class BasePermission(models.TextChoices):
    NONE = "none", "No permission"
    READ = "read", "Read"
    WRITE = "write", "Write"
    ADMIN = "admin", "Admin"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    PRIVATE = "private", "Private"
    INTERNAL = "internal", "Internal"


class OrgFineGrainedAccess(models.TextChoices):
    ALLOW = "allow", "Allow access via fine-grained personal access tokens"
    RESTRICT = "restrict", "Restrict access via fine-grained personal access tokens"


class OrgFineGrainedApproval(models.TextChoices):
    REQUIRE = "require", "Require administrator approval"
    NOT_REQUIRED = "not_required", "Do not require administrator approval"


class OrgClassicAccess(models.TextChoices):
    ALLOW = "allow", "Allow access via personal access tokens (classic)"
    RESTRICT = "restrict", "Restrict access via personal access tokens (classic)"
