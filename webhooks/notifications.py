"""Sending one webhook delivery: the outbox's sender of kind "webhooks.delivery" (behaviour §5.7).

The services queue a row per delivery in the transaction of the change; the
outbox tries it, retries it with a growing delay and parks it after its last
allowed attempt, as it does emails. Each try is recorded as a `WebhookAttempt`,
kept when the try fails (the sender reports the failure instead of raising).
"""

import hashlib
import hmac
import http.client
import json
import ssl
import time

from django.conf import settings
from django.utils import timezone

from organizations.validators import as_single_line
from outbox.services import email_sender

from . import transport
from .models import ERROR_LIMIT, WebhookAttempt, WebhookDelivery

USER_AGENT = "Patrol-Hookshot/1"


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, body: bytes) -> str:
    """GitHub's X-Hub-Signature-256: HMAC-SHA256 of the body, keyed with the endpoint's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers_of(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    endpoint = delivery.endpoint
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-GitHub-Event": delivery.event,
        "X-GitHub-Delivery": str(delivery.guid),
        "X-GitHub-Hook-ID": str(endpoint.pk),
        "X-GitHub-Hook-Installation-Target-Type": "organization" if endpoint.organization_id else "enterprise",
        "X-GitHub-Hook-Installation-Target-ID": str(endpoint.organization_id or endpoint.enterprise_id),
        "X-Hub-Signature-256": signature(endpoint.secret, body),
    }


def _attempt(delivery, *, started: float, status_code=None, error="") -> WebhookAttempt:
    return WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=timezone.now(),
        status_code=status_code,
        error=as_single_line(error)[:ERROR_LIMIT],
        duration_ms=round((time.monotonic() - started) * 1000),
    )


def failure_words(error: Exception) -> str:
    """Why an attempt got no answer, in the words its delivery page shows the endpoint's owner."""
    if isinstance(error, TimeoutError):
        return f"Timed out: no whole answer within {settings.PATROL_WEBHOOKS_TIMEOUT_SECONDS} s."
    if isinstance(error, ConnectionRefusedError):
        return "Connection refused: nothing listens at that address and port."
    if isinstance(error, (ConnectionResetError, http.client.IncompleteRead)):  # RemoteDisconnected is the former
        return "The receiver closed the connection before answering in full."
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"The receiver's certificate is not trusted: {error.verify_message}."
    if isinstance(error, ssl.SSLError):  # OpenSSL's reason, WRONG_VERSION_NUMBER say, as words
        return f"TLS failed: {(error.reason or str(error)).replace('_', ' ').lower()}."
    if isinstance(error, OSError):
        return f"Could not connect: {error.strerror or error}."
    if isinstance(error, http.client.HTTPException):
        return "The receiver's answer was not HTTP."
    return f"Not sent: {error}"


@email_sender("webhooks.delivery")
def deliver(*, delivery_id: int) -> str | None:
    """POST one delivery, record the attempt; returns why it failed (the outbox then retries), or None."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:  # its endpoint was deleted
        return None
    started = time.monotonic()
    if not delivery.endpoint.active:
        _attempt(delivery, started=started, error="Not sent: the webhook was made inactive.")
        return None
    body = body_of(delivery)
    try:
        status = transport.post(delivery.endpoint.url, body=body, headers=headers_of(delivery, body))
    except transport.TargetRefused as error:
        failure = f"Not sent: {error}"
        _attempt(delivery, started=started, error=failure)
        return failure
    except (OSError, http.client.HTTPException, ValueError) as error:
        failure = failure_words(error)
        _attempt(delivery, started=started, error=failure)
        return failure
    if 200 <= status < 300:
        _attempt(delivery, started=started, status_code=status)
        delivery.delivered_at = timezone.now()
        delivery.save(update_fields=["delivered_at"])
        return None
    failure = f"The receiver answered {status}" + (" (redirects are not followed)." if 300 <= status < 400 else ".")
    _attempt(delivery, started=started, status_code=status, error=failure)
    return failure
