"""Expiry reminders (behaviour §5.2): a token's holder hears 7 days and 1 day before it expires, and when it has.

`expiry_reminders_send` is what `manage.py send_expiry_reminders` runs, every
few minutes. It walks each stage's due tokens in chunks by id (keyset), so its
memory and its queries per chunk stay flat over a million tokens. Each chunk is
one transaction: it inserts one `ExpiryReminder` per token under the unique
constraint (a row another run already wrote is skipped, on PostgreSQL after
waiting for that run to commit), then enqueues an email for the rows it wrote
itself. So two runs at once never send one reminder twice.
"""

from collections.abc import Callable
from datetime import timedelta
from uuid import uuid4

from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from outbox.services import outbound_emails_enqueue
from webhooks.services import expiry_events

from . import notifications
from .choices import ExpiryReminderStage
from .models import ClassicToken, ExpiryReminder, FineGrainedToken

CHUNK_SIZE = 500
# An expired token is announced within a week of its expiry, so a first run does not email about old ones.
EXPIRED_WINDOW = timedelta(days=7)

# How long before the expiry each stage begins.
LEAD = {
    ExpiryReminderStage.SEVEN_DAYS: timedelta(days=7),
    ExpiryReminderStage.ONE_DAY: timedelta(days=1),
    ExpiryReminderStage.EXPIRED: timedelta(0),
}
TOKEN_FIELDS = {FineGrainedToken: "fine_grained_token", ClassicToken: "classic_token"}


def _window(stage: ExpiryReminderStage, now) -> tuple:
    """The expiries a token is in `stage` for, at `now`: (after, up to)."""
    if stage == ExpiryReminderStage.EXPIRED:
        return now - EXPIRED_WINDOW, now
    if stage == ExpiryReminderStage.ONE_DAY:
        return now, now + LEAD[stage]
    return now + LEAD[ExpiryReminderStage.ONE_DAY], now + LEAD[stage]


def due_tokens(model, stage: ExpiryReminderStage, *, now) -> QuerySet:
    """Live tokens of active holders with an address, in `stage` now and not yet reminded of it.

    A token issued after its stage began skips it (a 3-day token hears nothing about 7 days).
    """
    after, up_to = _window(stage, now)
    field = TOKEN_FIELDS[model]
    reminded = ExpiryReminder.objects.filter(**{field: OuterRef("pk")}, stage=stage, expires_at=OuterRef("expires_at"))
    tokens = model.objects.filter(
        revoked_at=None, expires_at__gt=after, expires_at__lte=up_to, user__is_active=True
    ).exclude(user__email="")
    if LEAD[stage]:
        tokens = tokens.filter(issued_at__lt=F("expires_at") - LEAD[stage])
    return tokens.filter(~Exists(reminded))


@transaction.atomic
def _remind(model, stage: ExpiryReminderStage, chunk: list[tuple]) -> int:
    """Record and enqueue one chunk's reminders; returns how many this run wrote (the others were another run's)."""
    field, batch = TOKEN_FIELDS[model], uuid4()
    reminders = [
        ExpiryReminder(**{f"{field}_id": pk}, stage=stage, expires_at=expires, batch=batch) for pk, expires in chunk
    ]
    ExpiryReminder.objects.bulk_create(reminders, ignore_conflicts=True)
    ours = list(ExpiryReminder.objects.filter(batch=batch).values_list("pk", flat=True))
    expiry_events(reminder_ids=ours)
    return outbound_emails_enqueue(notifications.expiry_reminder, [{"reminder_id": pk} for pk in ours])


def expiry_reminders_send(
    *, now=None, dry_run: bool = False, chunk_size: int = CHUNK_SIZE, progress: Callable | None = None
) -> dict[ExpiryReminderStage, int]:
    """Remind every holder whose token is due, once per token, stage and expiry; returns counts by stage.

    With `dry_run`, counts what would be sent and writes nothing. `progress(model, stage, count)` hears each chunk.
    """
    now = now or timezone.now()
    counts = dict.fromkeys(ExpiryReminderStage, 0)
    for model in TOKEN_FIELDS:
        for stage in ExpiryReminderStage:
            last_pk = 0
            while True:
                due = due_tokens(model, stage, now=now).filter(pk__gt=last_pk).order_by("pk")
                chunk = list(due.values_list("pk", "expires_at")[:chunk_size])
                if not chunk:
                    break
                last_pk = chunk[-1][0]
                reminded = len(chunk) if dry_run else _remind(model, stage, chunk)
                counts[stage] += reminded
                if progress is not None:
                    progress(model, stage, reminded)
    return counts
