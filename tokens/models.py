"""Credentials and the approval records (behaviour §2).

No token's plaintext is ever stored: only its keyed digest (see credentials.py)
and its last four characters for display.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from organizations.validators import multi_line_text, single_line_text

from .choices import CredentialType, ExpiryReminderStage, RepositoryAccess, RequestStatus

MAX_FINE_GRAINED_TOKENS_PER_USER = 50
TEXT_LIMIT = 1024  # justification and review reason (behaviour §2)


class SecretDigestMixin(models.Model):
    # Unique by a constraint in each concrete model's Meta, not
    # unique=True: on PostgreSQL that adds a second, pattern-matching index
    # (varchar_pattern_ops) for LIKE, and a digest is only ever compared whole.
    # At a million tokens those indexes took 118 MB, kept up on every insert
    # and on every last-use update that moves a row, for nothing.
    digest = models.CharField(max_length=64, editable=False)
    pepper_id = models.PositiveSmallIntegerField(editable=False)
    last_four = models.CharField(max_length=4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def masked(self) -> str:
        return f"{self.PREFIX}…{self.last_four}"


class PersonalAccessToken(SecretDigestMixin):
    """What both token types share."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    # When the current secret was issued: at creation, then at each regeneration.
    # Lifetime policies (behaviour §3) and introspection's `iat` count from here.
    issued_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        # Where send_expiry_reminders looks: live tokens by expiry.
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(revoked_at__isnull=True, expires_at__isnull=False),
                name="%(class)s_live_expiry",
            )
        ]

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class FineGrainedToken(PersonalAccessToken):
    TOKEN_TYPE = CredentialType.FINE_GRAINED
    PREFIX = "patrol_fg_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fine_grained_tokens")
    name = models.CharField(max_length=40, validators=[single_line_text])
    description = models.CharField(max_length=1024, blank=True, validators=[multi_line_text])
    # Null: the resource owner is the token's user.
    resource_owner_organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="fine_grained_tokens",
    )
    repository_access = models.CharField(
        max_length=8, choices=RepositoryAccess.choices, default=RepositoryAccess.PUBLIC
    )
    repositories = models.ManyToManyField("organizations.Repository", blank=True, related_name="fine_grained_tokens")
    # {permission name: level}, names and levels from tokens.engine.catalogue.
    permissions = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["digest"], name="fine_grained_token_digest_unique"),
            models.UniqueConstraint(fields=["user", "name"], name="fine_grained_token_name_unique"),
            models.CheckConstraint(
                name="fine_grained_token_repository_access_valid",
                condition=Q(repository_access__in=RepositoryAccess.values),
            ),
        ]
        indexes = PersonalAccessToken.Meta.indexes

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        """What the holder calls the token."""
        return self.name

    @property
    def resource_owner_login(self) -> str:
        if self.resource_owner_organization_id:
            return self.resource_owner_organization.login
        return self.user.username


class ClassicToken(PersonalAccessToken):
    TOKEN_TYPE = CredentialType.CLASSIC
    PREFIX = "patrol_cl_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="classic_tokens")
    note = models.CharField(max_length=100, validators=[single_line_text])
    scopes = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["digest"], name="classic_token_digest_unique")]
        indexes = PersonalAccessToken.Meta.indexes

    def __str__(self):
        # The note is the holder's own words: the admin, pickers and logs, which
        # enterprise owners read, name the token by its masked secret instead.
        return self.masked

    @property
    def label(self) -> str:
        """What the holder calls the token."""
        return self.note


class SSHKey(models.Model):
    TOKEN_TYPE = CredentialType.SSH_KEY

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ssh_keys")
    title = models.CharField(max_length=100, validators=[single_line_text])
    fingerprint = models.CharField(max_length=50, unique=True)
    created_by_fine_grained_token = models.ForeignKey(
        FineGrainedToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="ssh_keys"
    )
    created_by_classic_token = models.ForeignKey(
        ClassicToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="ssh_keys"
    )
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "SSH key"
        constraints = [
            models.CheckConstraint(
                name="ssh_key_created_by_at_most_one_token",
                condition=Q(created_by_fine_grained_token__isnull=True) | Q(created_by_classic_token__isnull=True),
            ),
            models.CheckConstraint(
                name="ssh_key_fingerprint_form",
                condition=Q(fingerprint__regex=r"^SHA256:[A-Za-z0-9+/]{43}$"),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def created_by_token(self):
        return self.created_by_fine_grained_token or self.created_by_classic_token


class AccessRequest(models.Model):
    """One request per (token, organization) revision that needs approval."""

    token = models.ForeignKey(FineGrainedToken, on_delete=models.CASCADE, related_name="requests")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="access_requests"
    )
    justification = models.CharField(max_length=TEXT_LIMIT, blank=True, validators=[multi_line_text])
    # Snapshot of what the token asked for when the request was opened.
    repository_access = models.CharField(max_length=8, choices=RepositoryAccess.choices)
    repository_ids = models.JSONField(default=list, blank=True)
    permissions = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=TEXT_LIMIT, blank=True, validators=[multi_line_text])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "organization"],
                condition=Q(status=RequestStatus.PENDING),
                name="access_request_one_pending_per_token_and_organization",
            ),
            models.CheckConstraint(name="access_request_status_valid", condition=Q(status__in=RequestStatus.values)),
            models.CheckConstraint(
                name="access_request_repository_access_valid",
                condition=Q(repository_access__in=RepositoryAccess.values),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"]),
            models.Index(fields=["token", "organization", "-created_at"]),
        ]

    def __str__(self):
        return f"request #{self.pk}"


class Grant(models.Model):
    """A token's standing access to one organization; GitHub's ``pat_id`` is its id.

    One per (token, organization). Approving a later request widens it in place;
    a revoked grant is final for that token and organization (behaviour §4 gate 15).
    """

    token = models.ForeignKey(FineGrainedToken, on_delete=models.CASCADE, related_name="grants")
    organization = models.ForeignKey("organizations.Organization", on_delete=models.CASCADE, related_name="grants")
    request = models.ForeignKey(AccessRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    auto_approved = models.BooleanField(default=False)
    repository_access = models.CharField(max_length=8, choices=RepositoryAccess.choices)
    repository_ids = models.JSONField(default=list, blank=True)
    permissions = models.JSONField(default=dict, blank=True)
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "organization"], name="grant_unique_per_token_and_organization"),
            models.CheckConstraint(
                name="grant_repository_access_valid",
                condition=Q(repository_access__in=RepositoryAccess.values),
            ),
        ]
        indexes = [models.Index(fields=["organization", "revoked_at", "-granted_at"])]

    def __str__(self):
        return f"grant #{self.pk}"


class ApiClient(SecretDigestMixin):
    """A caller of the check API (a git server, an API gateway, CI)."""

    PREFIX = "patrol_ac_"

    name = models.CharField(max_length=100, validators=[single_line_text])
    # Empty: a site-wide client. Set: it learns nothing outside this enterprise
    # (tokens.engine.access). Never SET_NULL, which would widen a client to the whole site.
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="api_clients"
    )
    rate_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: settings.PATROL_API_CLIENT_RATE_PER_MINUTE."
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API client"
        constraints = [
            models.UniqueConstraint(fields=["digest"], name="api_client_digest_unique"),
            # Unique within its enterprise, so a name taken elsewhere tells an owner nothing.
            models.UniqueConstraint(
                fields=["enterprise", "name"],
                name="api_client_name_unique_in_enterprise",
                violation_error_message="This enterprise has an API client with this name.",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(enterprise=None),
                name="api_client_name_unique_site_wide",
                violation_error_message="A site-wide API client has this name.",
            ),
        ]

    def __str__(self):
        return self.name


class EnterpriseCredentialRevocation(models.Model):
    """An enterprise's owners revoked a classic token's or SSH key's access to the enterprise.

    Like GitHub's revoke of a credential's SSO authorization: the credential
    keeps working outside the enterprise (its user's own repositories, other
    tenants), but reaches none of the enterprise's organizations, their
    repositories or ``enterprise:<slug>`` (behaviour §4 gate 7). Final: the holder
    creates a new token or registers a new key.
    """

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    classic_token = models.ForeignKey(
        ClassicToken, null=True, blank=True, on_delete=models.CASCADE, related_name="enterprise_revocations"
    )
    ssh_key = models.ForeignKey(
        SSHKey, null=True, blank=True, on_delete=models.CASCADE, related_name="enterprise_revocations"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="enterprise_revocation_names_one_credential",
                condition=Q(classic_token__isnull=False, ssh_key__isnull=True)
                | Q(classic_token__isnull=True, ssh_key__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["enterprise", "classic_token"],
                condition=Q(classic_token__isnull=False),
                name="enterprise_revocation_once_per_classic_token",
            ),
            models.UniqueConstraint(
                fields=["enterprise", "ssh_key"],
                condition=Q(ssh_key__isnull=False),
                name="enterprise_revocation_once_per_ssh_key",
            ),
        ]

    def __str__(self):
        return f"enterprise revocation #{self.pk}"

    @property
    def credential(self):
        return self.classic_token or self.ssh_key


class OneTokenRecord(models.Model):
    """A record about one fine-grained or one classic token: exactly one of the two is set."""

    fine_grained_token = models.ForeignKey(
        FineGrainedToken, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    classic_token = models.ForeignKey(ClassicToken, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                name="%(class)s_names_one_token",
                condition=Q(fine_grained_token__isnull=False, classic_token__isnull=True)
                | Q(fine_grained_token__isnull=True, classic_token__isnull=False),
            ),
        ]

    @property
    def token(self):
        return self.fine_grained_token or self.classic_token


class RetiredSecret(OneTokenRecord):
    """A secret a token was rotated away from (behaviour §5.4).

    Refused like any unknown secret, but kept by its keyed digest so that its
    use is recognised as a leak: the token it points to is then revoked. The
    token row stays the same through rotations, so it is the whole line.
    """

    digest = models.CharField(max_length=64, editable=False)
    pepper_id = models.PositiveSmallIntegerField(editable=False)
    retired_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(OneTokenRecord.Meta):
        constraints = [
            *OneTokenRecord.Meta.constraints,
            models.UniqueConstraint(fields=["digest"], name="retired_secret_digest_unique"),
        ]

    def __str__(self):
        return f"retired secret #{self.pk}"


class ExpiryReminder(OneTokenRecord):
    """A reminder sent to a token's holder: once per token, stage and expiry (behaviour §5.2).

    The unique constraints are what keeps two runs of send_expiry_reminders from
    both sending one; `expires_at` is part of the key, so a token regenerated with
    a new expiry is reminded again. `batch` tells a run which rows it wrote itself.
    """

    stage = models.CharField(max_length=8, choices=ExpiryReminderStage.choices)
    expires_at = models.DateTimeField()
    # The chunk of a run that wrote the row: a run enqueues emails for its own rows only.
    batch = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(OneTokenRecord.Meta):
        constraints = [
            *OneTokenRecord.Meta.constraints,
            models.CheckConstraint(
                name="expiry_reminder_stage_valid", condition=Q(stage__in=ExpiryReminderStage.values)
            ),
            models.UniqueConstraint(
                fields=["fine_grained_token", "stage", "expires_at"],
                condition=Q(fine_grained_token__isnull=False),
                name="expiry_reminder_once_per_fine_grained_token",
            ),
            models.UniqueConstraint(
                fields=["classic_token", "stage", "expires_at"],
                condition=Q(classic_token__isnull=False),
                name="expiry_reminder_once_per_classic_token",
            ),
        ]
        indexes = [models.Index(fields=["batch"])]

    def __str__(self):
        return f"expiry reminder #{self.pk}"


class UnusedTokenWarning(OneTokenRecord):
    """A holder's warning that an enterprise will revoke an unused token in a week (behaviour §5.1).

    One per token, enterprise and unused spell: `unused_since` is when the
    token was last used (or issued), so a token used again after its warning
    starts a new spell and is warned again. The unique constraints keep two runs
    of revoke_unused_tokens from both warning; `batch` tells a run its own rows.
    The revocation waits until the warning is a week old.
    """

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    unused_since = models.DateTimeField()
    batch = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(OneTokenRecord.Meta):
        constraints = [
            *OneTokenRecord.Meta.constraints,
            models.UniqueConstraint(
                fields=["enterprise", "fine_grained_token", "unused_since"],
                condition=Q(fine_grained_token__isnull=False),
                name="unused_token_warning_once_per_fine_grained_spell",
            ),
            models.UniqueConstraint(
                fields=["enterprise", "classic_token", "unused_since"],
                condition=Q(classic_token__isnull=False),
                name="unused_token_warning_once_per_classic_spell",
            ),
        ]
        indexes = [models.Index(fields=["batch"])]

    def __str__(self):
        return f"unused token warning #{self.pk}"


# --- Check facts, materialized (PostgreSQL) ------------------------------------
#
# On PostgreSQL a cold access check reads one row per part instead of joining
# and aggregating a dozen tables: triggers on the tables facts come from keep
# these rows current inside the writing transaction (tokens.engine.materialized).
# Nothing else writes them. On SQLite they stay empty and the check reads the
# tables themselves.


class MaterializedCredential(models.Model):
    """A token's or SSH key's check facts, as the credential query would read them."""

    key = models.CharField(max_length=128, primary_key=True)  # the digest, or the key's fingerprint
    credential_type = models.CharField(max_length=16, choices=CredentialType.choices)
    user_id = models.BigIntegerField(db_index=True)  # whose writes recompute it
    row = models.TextField()  # a JSON array, in the credential query's field order
    # Kept apart from `row`: the last-use writer moves it every minute a token is
    # used, and it decides nothing, so it is copied over rather than recomputed.
    last_used_at = models.DateTimeField(null=True)

    class Meta:
        default_permissions = ()

    def __str__(self):
        return f"{self.credential_type} {self.key[:8]}…"


class MaterializedResource(models.Model):
    """A repository's, organization's, account's or enterprise's check facts, as the resource query would read them."""

    kind = models.CharField(max_length=16)
    name = models.CharField(max_length=256)  # as a check names it: owner/name, login, or the enterprise's slug
    row = models.TextField()  # a JSON array, in the resource query's field order
    # What the row was computed from: a write to any of them recomputes it (tokens.engine.materialized_resources).
    repository_id = models.BigIntegerField(null=True, db_index=True)
    organization_id = models.BigIntegerField(null=True, db_index=True)
    enterprise_id = models.BigIntegerField(null=True, db_index=True)
    user_id = models.BigIntegerField(null=True, db_index=True)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="materialized_resource_unique_name")]

    def __str__(self):
        return f"{self.kind} {self.name}"
