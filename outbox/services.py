"""The transactional outbox: an email is a row written with the change it announces.

A service calls `outbound_email_enqueue` inside its transaction, so the email
and the change commit or roll back together: a review that rolls back leaves no
row, and one that commits leaves a row even if the process dies a moment later.
Right after the commit, an on-commit hook tries to send that row, so people
get their email at once as before. Rows the hook did not send (the process
died first, or SMTP failed) wait for `manage.py deliver_outbox`, which runs
periodically and sends every row still pending.

The guarantee is *at least once*, not exactly once. A deliverer locks the row
(SELECT … FOR UPDATE SKIP LOCKED), sends the email, and marks the row sent in
the same transaction, so two deliverers never send the same row at once: the
second skips a row the first holds and, once the first commits, no longer finds
it pending. But SMTP is not part of the database transaction: if the process
dies, or the database is lost, after the SMTP server accepted the message and
before the COMMIT that marks it sent, the row stays pending and is sent again.
Nothing can close that gap without the mail server taking part in the
transaction, so a duplicate email in that rare case is the honest price of
never losing one.

PostgreSQL provides the row locks. SQLite (the single-process embedded set-up)
has none: there, run one deliverer at a time.

Senders are plain functions taking the payload's ids as keyword arguments,
registered with `@email_sender("app.kind")` in an app's `notifications` module
(discovered when the app registry is ready, see `outbox.apps`). A sender may
send nothing (no address, the subject deleted); the row is then done all the same.
A sender that fails raises, and what it wrote rolls back; one that must keep a
record of its failure (a webhook's attempt) returns its description instead.

A failed email is tried again by a later run, after PATROL_OUTBOX_RETRY_SECONDS
doubled at each failure. One that fails PATROL_OUTBOX_MAX_ATTEMPTS times is
parked with its last error: it raises on every send (a poison message) or the
outage outlasted the backoff. Runs then skip it, so it neither delays the
emails after it nor fails `deliver_outbox`; a superuser sees it in the admin
and can put it back in the queue (`outbound_emails_retry`).
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from audit.services import audit_record
from organizations.validators import as_single_line

from .models import OutboundEmail

logger = logging.getLogger(__name__)

ERROR_LIMIT = OutboundEmail._meta.get_field("last_error").max_length

Sender = Callable[..., None]
_senders: dict[str, Sender] = {}


class SendFailed(Exception):
    """A sender's own report of a failure: what it wrote (a webhook's attempt) is kept, the row retried."""


def email_sender(kind: str) -> Callable[[Sender], Sender]:
    """Register the decorated function as the sender of outbound emails of `kind`."""

    def register(send: Sender) -> Sender:
        if _senders.setdefault(kind, send) is not send:
            raise ImproperlyConfigured(f"Two senders are registered for outbound email kind {kind!r}.")
        send.outbox_kind = kind
        return send

    return register


def _registered_kind(send: Sender) -> str:
    kind = getattr(send, "outbox_kind", None)
    if _senders.get(kind) is not send:
        raise ImproperlyConfigured(f"{send!r} is not registered with @email_sender.")
    return kind


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("Enqueue an email inside the transaction of the change it announces.")


def outbound_email_enqueue(send: Sender, **ids: int) -> OutboundEmail:
    """Store the email `send(**ids)` will send, in the current transaction; try it once that commits."""
    kind = _registered_kind(send)
    if not all(type(value) is int for value in ids.values()):
        raise TypeError("An outbound email's payload holds ids only.")
    _require_transaction()
    email = OutboundEmail.objects.create(kind=kind, payload=ids)
    transaction.on_commit(partial(outbound_email_deliver, email_id=email.pk), robust=True)
    return email


def outbound_emails_enqueue(send: Sender, payloads: list[dict[str, int]]) -> int:
    """Store many emails in one query, in the current transaction; returns how many.

    No attempt follows the commit: a periodic job writing hundreds at a time
    leaves them to `deliver_outbox`, which sends them within its next run.
    """
    kind = _registered_kind(send)
    if not all(type(value) is int for ids in payloads for value in ids.values()):
        raise TypeError("An outbound email's payload holds ids only.")
    _require_transaction()
    return len(OutboundEmail.objects.bulk_create([OutboundEmail(kind=kind, payload=ids) for ids in payloads]))


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # tried again by a later run
    PARKED = "parked"  # the last allowed attempt failed


class Delivered(NamedTuple):
    sent: int = 0
    failed: int = 0
    parked: int = 0


def retry_delay(attempts: int) -> timedelta:
    """How long a run leaves an email alone after its `attempts`-th failure: doubling each time."""
    return timedelta(seconds=settings.PATROL_OUTBOX_RETRY_SECONDS * 2 ** (attempts - 1))


def _claimable():
    """Unsent, unparked rows, locked by the query that reads them; rows another deliverer holds are skipped."""
    return OutboundEmail.objects.select_for_update(skip_locked=True).filter(
        sent_at__isnull=True, parked_at__isnull=True
    )


def _describe(error: Exception) -> str:
    """The error on one line without control characters: one quoting a NUL could not be saved on PostgreSQL."""
    try:
        text = str(error) if isinstance(error, SendFailed) else f"{type(error).__name__}: {error}"
    except Exception:  # an exception whose message itself fails is still recorded, by its type
        text = type(error).__name__
    return as_single_line(text)[:ERROR_LIMIT]


def _send(email: OutboundEmail) -> Outcome:
    """Send a claimed row and record the outcome in the claiming transaction; never raises for a failed send."""
    email.attempts += 1
    try:
        send = _senders.get(email.kind)
        if send is None:
            raise LookupError(f"No sender is registered for outbound email kind {email.kind!r}.")
        # A savepoint: if the sender fails half-way, its queries roll back and the row can still be updated.
        with transaction.atomic():
            failure = send(**email.payload)
        if failure:
            raise SendFailed(failure)
    except Exception as error:
        email.last_error = _describe(error)
        now = timezone.now()
        if email.attempts >= settings.PATROL_OUTBOX_MAX_ATTEMPTS:
            email.parked_at, outcome, level = now, Outcome.PARKED, logging.ERROR
        else:
            email.next_attempt_at, outcome, level = now + retry_delay(email.attempts), Outcome.FAILED, logging.WARNING
        logger.log(
            level,
            "Outbound email #%s (%s) %s, attempt %s: %s",
            email.pk,
            email.kind,
            outcome,
            email.attempts,
            email.last_error,
        )
        email.save(update_fields=["attempts", "last_error", "next_attempt_at", "parked_at"])
        return outcome
    email.sent_at = timezone.now()
    email.save(update_fields=["attempts", "sent_at"])
    return Outcome.SENT


def outbound_email_deliver(*, email_id: int) -> bool:
    """Send one pending email; False if it failed, was already sent or parked, or another deliverer holds it."""
    with transaction.atomic():
        email = _claimable().filter(pk=email_id).first()
        return email is not None and _send(email) == Outcome.SENT


def outbound_emails_deliver(*, progress: Callable[[OutboundEmail, Outcome], None] | None = None) -> Delivered:
    """Try every email that is due once, each in its own transaction; `progress` hears each outcome.

    Rows are taken in id order, one per transaction, so a lock is held only for
    one email's sending and a failed row is not tried again in the same run.
    """
    counts = dict.fromkeys(Outcome, 0)
    last_id = 0
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    while True:
        with transaction.atomic():
            email = _claimable().filter(due, pk__gt=last_id).order_by("pk").first()
            if email is None:
                return Delivered(*(counts[outcome] for outcome in Outcome))
            last_id = email.pk
            outcome = _send(email)
        counts[outcome] += 1
        if progress is not None:
            progress(email, outcome)


@transaction.atomic
def outbound_emails_retry(*, ids, actor) -> int:
    """Put parked emails back in the queue, due at once with a fresh set of attempts; returns how many.

    Their last error stays for the record until an attempt succeeds or fails again.
    """
    retried = 0
    for email in OutboundEmail.objects.select_for_update().filter(pk__in=list(ids), parked_at__isnull=False):
        audit_record(
            action="outbox.email_retried",
            actor=actor,
            data={"email_id": email.pk, "kind": email.kind, "attempts": email.attempts, "last_error": email.last_error},
        )
        email.attempts, email.parked_at, email.next_attempt_at = 0, None, None
        email.save(update_fields=["attempts", "parked_at", "next_attempt_at"])
        retried += 1
    return retried
