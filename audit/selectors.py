"""Reads of the audit log (behaviour §8): newest first, filtered by action, actor, token id and dates."""

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent


def filter_events(
    events: QuerySet[AuditEvent], *, action="", actor="", token_id=None, date_from=None, date_to=None
) -> QuerySet[AuditEvent]:
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_login=actor)
    if token_id is not None:
        events = events.filter(token_id=token_id)
    if date_from is not None:
        events = events.filter(created_at__gte=start_of(date_from))
    if date_to is not None:
        events = events.filter(created_at__lt=start_of(date_to + timedelta(days=1)))
    return events


def start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the site's time zone: the dates a person types are local days."""
    return timezone.make_aware(datetime.combine(day, time.min))


def organization_audit_events(*, organization, **filters) -> QuerySet[AuditEvent]:
    """The organization's events; the caller has already checked that the user owns it."""
    events = AuditEvent.objects.filter(organization=organization).order_by("-created_at", "-id")
    return filter_events(events, **filters)


def organization_audit_actions(*, organization) -> list[str]:
    """The actions that occur in the organization's log, for the filter."""
    return list(
        AuditEvent.objects.filter(organization=organization)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
