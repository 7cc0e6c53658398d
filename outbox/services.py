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
"""

import logging
from collections.abc import Callable
from functools import partial

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from .models import OutboundEmail

logger = logging.getLogger(__name__)

ERROR_LIMIT = OutboundEmail._meta.get_field("last_error").max_length

Sender = Callable[..., None]
_senders: dict[str, Sender] = {}


def email_sender(kind: str) -> Callable[[Sender], Sender]:
    """Register the decorated function as the sender of outbound emails of `kind`."""

    def register(send: Sender) -> Sender:
        if _senders.setdefault(kind, send) is not send:
            raise ImproperlyConfigured(f"Two senders are registered for outbound email kind {kind!r}.")
        send.outbox_kind = kind
        return send

    return register


def outbound_email_enqueue(send: Sender, **ids: int) -> OutboundEmail:
    """Store the email `send(**ids)` will send, in the current transaction; try it once that commits."""
    kind = getattr(send, "outbox_kind", None)
    if _senders.get(kind) is not send:
        raise ImproperlyConfigured(f"{send!r} is not registered with @email_sender.")
    if not all(type(value) is int for value in ids.values()):
        raise TypeError("An outbound email's payload holds ids only.")
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("Enqueue an email inside the transaction of the change it announces.")
    email = OutboundEmail.objects.create(kind=kind, payload=ids)
    transaction.on_commit(partial(outbound_email_deliver, email_id=email.pk), robust=True)
    return email


def _claimable():
    """Pending rows, locked by the query that reads them; rows another deliverer holds are skipped, not awaited."""
    return OutboundEmail.objects.select_for_update(skip_locked=True).filter(sent_at__isnull=True)


def _send(email: OutboundEmail) -> bool:
    """Send a claimed row and record the outcome in the claiming transaction; never raises for a failed send."""
    email.attempts += 1
    try:
        send = _senders.get(email.kind)
        if send is None:
            raise LookupError(f"No sender is registered for outbound email kind {email.kind!r}.")
        # A savepoint: if the sender fails half-way, its queries roll back and the row can still be updated.
        with transaction.atomic():
            send(**email.payload)
    except Exception as error:
        email.last_error = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
        email.save(update_fields=["attempts", "last_error"])
        logger.warning("Outbound email #%s (%s) failed, attempt %s: %s", email.pk, email.kind, email.attempts, error)
        return False
    email.sent_at = timezone.now()
    email.save(update_fields=["attempts", "sent_at"])
    return True


def outbound_email_deliver(*, email_id: int) -> bool:
    """Send one pending email; False if it failed, was already sent, or another deliverer holds it."""
    with transaction.atomic():
        email = _claimable().filter(pk=email_id).first()
        return email is not None and _send(email)


def outbound_emails_deliver() -> tuple[int, int]:
    """Try every pending email once, each in its own transaction; returns (sent, failed).

    Rows are taken in id order, one per transaction, so a lock is held only for
    one email's sending and a failed row is not tried again in the same run.
    """
    sent = failed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            email = _claimable().filter(pk__gt=last_id).order_by("pk").first()
            if email is None:
                return sent, failed
            last_id = email.pk
            if _send(email):
                sent += 1
            else:
                failed += 1
