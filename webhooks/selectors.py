"""Reads of webhook endpoints and deliveries, always through their owner (missing and not-yours: one 404)."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from outbox.models import OutboundEmail

from . import notifications
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoints_of(*, organization=None, enterprise=None) -> QuerySet[WebhookEndpoint]:
    if organization is not None:
        return WebhookEndpoint.objects.filter(organization=organization)
    return WebhookEndpoint.objects.filter(enterprise=enterprise)


def endpoint_of(pk, *, organization=None, enterprise=None) -> WebhookEndpoint:
    return get_object_or_404(endpoints_of(organization=organization, enterprise=enterprise), pk=pk)


def delivery_of(pk, *, endpoint: WebhookEndpoint) -> WebhookDelivery:
    attempts = Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("id"))
    return get_object_or_404(
        WebhookDelivery.objects.filter(endpoint=endpoint).select_related("endpoint").prefetch_related(attempts), pk=pk
    )


@dataclass(frozen=True)
class DeliveryState:
    words: str  # "Delivered", "Queued", "Failed, trying again", "Failed"
    tone: str  # "ok", "pending", "error": the badge's colour
    next_attempt_at: object = None


def delivery_states(deliveries) -> dict[int, DeliveryState]:
    """Each delivery's state in words, from its outbox row: one query for a page of them."""
    deliveries = list(deliveries)
    rows = {
        row.payload["delivery_id"]: row
        for row in OutboundEmail.objects.filter(
            kind=notifications.deliver.outbox_kind,
            payload__delivery_id__in=[delivery.pk for delivery in deliveries if delivery.delivered_at is None],
        )
    }
    states = {}
    for delivery in deliveries:
        row = rows.get(delivery.pk)
        if delivery.delivered_at is not None:
            state = DeliveryState("Delivered", "ok")
        elif row is None or row.sent_at is not None:
            state = DeliveryState("Not sent", "error")
        elif row.parked_at is not None:
            state = DeliveryState("Failed", "error")
        elif row.attempts:
            state = DeliveryState("Failed, trying again", "pending", row.next_attempt_at)
        else:
            state = DeliveryState("Queued", "pending")
        states[delivery.pk] = state
    return states
