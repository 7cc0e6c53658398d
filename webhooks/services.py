"""Webhook endpoints, and the events the other apps' services announce through them (behaviour §5.7).

Each `*_event` function is called once, inside the transaction of the change
it announces: it finds the active endpoints of the organization and of its
enterprise that chose the event, writes a delivery for each with its body as
of now, and queues it in the outbox, so a change that rolls back sends nothing.
No request waits on a receiver: `deliver_outbox` sends them within a minute.
With no endpoint listening, an event costs one query.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from audit.services import audit_record
from enterprises.models import Enterprise
from organizations.models import Organization
from outbox.services import outbound_email_enqueue, outbound_emails_enqueue
from tokens.choices import ExpiryReminderStage
from tokens.models import ExpiryReminder, Grant

from . import notifications, payloads, transport
from .choices import WebhookEvent
from .models import WebhookDelivery, WebhookEndpoint

# --- Events -------------------------------------------------------------------------------


def _listening(event: WebhookEvent, *, organization: Organization | None, enterprise: Enterprise | None):
    """Active endpoints that chose `event`: the organization's and its enterprise's, or only the enterprise's."""
    if organization is not None:
        owners = Q(organization=organization)
        if organization.enterprise_id:
            owners |= Q(enterprise_id=organization.enterprise_id)
    else:
        owners = Q(enterprise=enterprise)
    # Chosen events are matched here: SQLite has no JSON containment, and an owner has a handful of endpoints.
    return [endpoint for endpoint in WebhookEndpoint.objects.filter(owners, active=True) if event in endpoint.events]


def _emit(
    event: WebhookEvent, action: str, body: Callable[[], dict], *, organization=None, enterprise=None, endpoints=None
) -> int:
    if endpoints is None:
        endpoints = _listening(event, organization=organization, enterprise=enterprise)
    if not endpoints:
        return 0
    if organization is not None and enterprise is None and organization.enterprise_id:
        enterprise = organization.enterprise
    built = {"action": action, **body()}
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event=event,
            action=action,
            payload=payloads.for_endpoint(built, endpoint, organization=organization, enterprise=enterprise),
        )
        for endpoint in endpoints
    )
    return outbound_emails_enqueue(notifications.deliver, [{"delivery_id": delivery.pk} for delivery in deliveries])


def _sender(actor, fallback) -> dict:
    return payloads.simple_user(actor if actor is not None else fallback)


def access_request_event(*, request, action: str, actor) -> int:
    """GitHub's personal_access_token_request: created, approved, denied or cancelled."""

    def body():
        held = (
            Grant.objects.filter(token_id=request.token_id, organization_id=request.organization_id, revoked_at=None)
            .values_list("permissions", flat=True)
            .first()
        )
        return {
            "personal_access_token_request": payloads.access_request(request, held=held or {}),
            "sender": _sender(actor, request.token.user),
        }

    return _emit(WebhookEvent.PAT_REQUEST, action, body, organization=request.organization)


def grant_revoked_event(*, grant, actor) -> int:
    """A token's access to the organization was revoked (by an owner, or with its holder's membership)."""

    def body():
        return {"personal_access_token_grant": payloads.grant(grant), "sender": _sender(actor, grant.token.user)}

    return _emit(WebhookEvent.PAT_GRANT, "revoked", body, organization=grant.organization)


def expiry_events(*, reminder_ids) -> int:
    """Fine-grained tokens reminded of their expiry, announced to the organization holding their live grant.

    Classic tokens belong to no organization, so only their holders hear of them (by email).
    """
    reminders = (
        ExpiryReminder.objects.filter(pk__in=list(reminder_ids), fine_grained_token__isnull=False)
        .select_related("fine_grained_token__user")
        .order_by("pk")
    )
    reminders = list(reminders)
    grants = Grant.objects.filter(
        token_id__in=[reminder.fine_grained_token_id for reminder in reminders], revoked_at=None
    ).select_related("organization__enterprise")
    by_token = {}
    for live in grants:
        by_token.setdefault(live.token_id, []).append(live.organization)
    listening = {}  # one query per organization in the chunk, not per token
    queued = 0
    for reminder in reminders:
        token = reminder.fine_grained_token
        action = "expired" if reminder.stage == ExpiryReminderStage.EXPIRED else "expiring"
        for organization in by_token.get(token.pk, ()):
            if organization.pk not in listening:
                listening[organization.pk] = _listening(
                    WebhookEvent.PAT_EXPIRY, organization=organization, enterprise=None
                )
            queued += _emit(
                WebhookEvent.PAT_EXPIRY,
                action,
                lambda token=token: {
                    "personal_access_token": payloads.fine_grained_token(token),
                    "sender": payloads.simple_user(token.user),
                },
                organization=organization,
                endpoints=listening[organization.pk],
            )
    return queued


def policy_changed_event(*, owner, changes: dict, actor) -> int:
    """An organization's or an enterprise's token policies were saved; `changes` maps each to (old, new)."""
    organization = owner if isinstance(owner, Organization) else None
    enterprise = owner if isinstance(owner, Enterprise) else None

    def body():
        return {
            "changes": {name: {"from": old} for name, (old, _) in changes.items()},
            "policies": {name: new for name, (_, new) in changes.items()},
            **({"sender": payloads.simple_user(actor)} if actor is not None else {}),
        }

    return _emit(WebhookEvent.PAT_POLICY, "changed", body, organization=organization, enterprise=enterprise)


def policy_changed_receiver(sender, *, owner, changes, actor, **kwargs) -> None:
    """policies.signals.pat_policy_changed, connected in webhooks.apps."""
    policy_changed_event(owner=owner, changes=changes, actor=actor)


# --- Endpoints ------------------------------------------------------------------------------


def _check_target(url: str) -> None:
    """Refuse a name that resolves to an address webhooks may not reach; one that does not resolve yet may wait."""
    parts = urlsplit(url)
    try:
        transport.resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except transport.Unresolvable:
        pass
    except transport.TargetRefused as error:
        raise ValidationError({"url": str(error)}) from None


def _audit_scope(endpoint: WebhookEndpoint) -> dict:
    if endpoint.organization_id:
        return {"organization": endpoint.organization}
    return {"enterprise": endpoint.enterprise}


def _validated(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    endpoint.full_clean()
    _check_target(endpoint.url)
    return endpoint


@transaction.atomic
def webhook_endpoint_create(
    *,
    url: str,
    secret: str,
    events: list[str],
    active: bool = True,
    actor,
    organization: Organization | None = None,
    enterprise: Enterprise | None = None,
) -> WebhookEndpoint:
    if not secret:
        raise ValidationError({"secret": "Enter a secret: every delivery is signed with it."})
    endpoint = _validated(
        WebhookEndpoint(
            organization=organization,
            enterprise=enterprise,
            url=url,
            secret=secret,
            events=list(events),
            active=active,
            created_by=actor,
        )
    )
    endpoint.save()
    audit_record(
        action="webhook.created",
        actor=actor,
        data={"webhook_id": endpoint.pk, "url": endpoint.url, "events": endpoint.events, "active": active},
        **_audit_scope(endpoint),
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, actor, url: str, events: list[str], active: bool, secret: str = ""
) -> WebhookEndpoint:
    """Save an endpoint's settings; an empty `secret` keeps the one it has (it is never shown again)."""
    current = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = {"url": current.url, "events": current.events, "active": current.active}
    current.url, current.events, current.active = url, list(events), active
    if secret:
        current.secret = secret
    _validated(current).save()
    after = {"url": current.url, "events": current.events, "active": current.active}
    changed = {name: {"old": before[name], "new": after[name]} for name in before if before[name] != after[name]}
    if secret:
        changed["secret"] = "changed"  # never the value
    if changed:
        audit_record(
            action="webhook.updated", actor=actor, data={"webhook_id": current.pk, **changed}, **_audit_scope(current)
        )
    return current


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    """Delete an endpoint with its deliveries; their rows still queued find nothing to send."""
    audit_record(
        action="webhook.deleted",
        actor=actor,
        data={"webhook_id": endpoint.pk, "url": endpoint.url},
        **_audit_scope(endpoint),
    )
    endpoint.delete()


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send a delivery's body again as a new delivery with the same guid; tried once the transaction commits."""
    endpoint = delivery.endpoint
    if not endpoint.active:
        raise ValidationError("This webhook is inactive: make it active to redeliver.")
    again = WebhookDelivery.objects.create(
        endpoint=endpoint,
        guid=delivery.guid,
        event=delivery.event,
        action=delivery.action,
        payload=delivery.payload,
        redelivery=True,
    )
    audit_record(
        action="webhook.redelivered",
        actor=actor,
        data={"webhook_id": endpoint.pk, "delivery_id": delivery.pk, "redelivery_id": again.pk},
        **_audit_scope(endpoint),
    )
    outbound_email_enqueue(notifications.deliver, delivery_id=again.pk)
    return again
