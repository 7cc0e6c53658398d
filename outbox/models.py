"""Emails waiting to be sent, each written in the transaction of the change it announces."""

from django.db import models
from django.db.models import Q


class OutboundEmail(models.Model):
    # The registered sender's name, e.g. "tokens.request_reviewed" (outbox.services.email_sender).
    kind = models.CharField(max_length=64)
    # The sender's keyword arguments: ids only, so no secret is ever stored here;
    # the sender reloads what it needs when it runs.
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    # When delivery finished; null while the email waits (for the on-commit
    # attempt, or for `deliver_outbox` after a crash or a failure).
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The latest failure, kept after a later attempt succeeds.
    last_error = models.CharField(max_length=500, blank=True)
    # After a failure, `deliver_outbox` leaves the email alone until then (backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set when the last allowed attempt failed: the email is no longer tried
    # until a superuser retries it in the admin.
    parked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(sent_at__isnull=True, parked_at__isnull=True), name="outbox_pending"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(attempts__gte=1), name="outbox_sent_after_an_attempt"
            ),
            models.CheckConstraint(
                condition=Q(parked_at__isnull=True) | Q(sent_at__isnull=True, attempts__gte=1),
                name="outbox_parked_unsent_after_an_attempt",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def status(self) -> str:
        if self.sent_at:
            return "sent"
        return "parked" if self.parked_at else "pending"
