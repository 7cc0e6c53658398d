"""Webhook endpoints of an organization or an enterprise, and the deliveries made to them (behaviour §5.7).

The secret is stored as written: every delivery is signed with it
(HMAC-SHA256), so it must be readable, unlike token secrets, which are only
ever compared and are stored as keyed digests. It is never shown again, logged,
audited or put in a payload.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from enterprises.models import Enterprise
from organizations.models import Organization
from organizations.validators import single_line_text

from .choices import WebhookEvent
from .validators import validate_events, validate_target_url

URL_LIMIT = 2000
SECRET_LIMIT = 255
ERROR_LIMIT = 500


class WebhookEndpoint(models.Model):
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    enterprise = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField("Payload URL", max_length=URL_LIMIT, validators=[validate_target_url])
    secret = models.CharField(max_length=SECRET_LIMIT, validators=[single_line_text])
    events = models.JSONField(default=list, validators=[validate_events])
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=True, enterprise__isnull=False)
                | Q(organization__isnull=False, enterprise__isnull=True),
                name="webhook_endpoint_one_owner",
            ),
        ]

    def __str__(self):
        return self.url

    @property
    def owner(self):
        return self.organization or self.enterprise

    def subscribes_to(self, event: WebhookEvent) -> bool:
        return self.active and event in self.events


class WebhookDelivery(models.Model):
    """One event sent to one endpoint; a redelivery is a new row with the same guid, as on GitHub."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    guid = models.UUIDField(default=uuid.uuid4)
    event = models.CharField(max_length=64, choices=WebhookEvent.choices)
    action = models.CharField(max_length=32)
    # The body as built when the event happened: a redelivery sends the same one.
    payload = models.JSONField()
    redelivery = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["endpoint", "-id"])]

    def __str__(self):
        return f"{self.event}.{self.action} #{self.pk}"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: what the receiver answered, or why nothing was sent."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=ERROR_LIMIT, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"attempt #{self.pk} of delivery #{self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
