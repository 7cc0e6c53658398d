"""The append-only audit log (behaviour §8)."""

from django.conf import settings
from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(models.Model):
    action = models.CharField(max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept beside the foreign key so the log still names who acted after a user is deleted.
    actor_login = models.CharField(max_length=39, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The token's id and type, never its secret; no foreign key, so the event
    # outlives a deleted token.
    token_id = models.BigIntegerField(null=True, blank=True)
    token_type = models.CharField(max_length=16, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "-created_at"]),
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["token_type", "token_id"]),
        ]

    def __str__(self):
        return f"{self.action} by {self.actor_login or 'system'}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are never deleted.")
