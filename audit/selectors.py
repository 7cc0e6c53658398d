"""Reads of the audit log (behaviour §8): newest first, filtered by action, actor and token id."""

from django.db.models import QuerySet

from .models import AuditEvent


def filter_events(events: QuerySet[AuditEvent], *, action="", actor="", token_id=None) -> QuerySet[AuditEvent]:
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_login=actor)
    if token_id is not None:
        events = events.filter(token_id=token_id)
    return events


def organization_audit_events(*, organization, action="", actor="", token_id=None) -> QuerySet[AuditEvent]:
    """The organization's events; the caller has already checked that the user owns it."""
    events = AuditEvent.objects.filter(organization=organization).order_by("-created_at", "-id")
    return filter_events(events, action=action, actor=actor, token_id=token_id)


def organization_audit_actions(*, organization) -> list[str]:
    """The actions that occur in the organization's log, for the filter."""
    return list(
        AuditEvent.objects.filter(organization=organization)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
