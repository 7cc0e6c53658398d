"""A webhook reaches a real HTTP receiver on loopback, signed, and failures are retried then parked (behaviour §5.7)."""

import errno
import html
import json
import socket
import ssl
from datetime import timedelta

import pytest
from django.utils import timezone
from githubkit import webhooks as github_webhooks

from outbox.models import OutboundEmail
from outbox.services import outbound_emails_deliver
from tests.conftest import client_for, request_for
from tests.factories import AccessRequestFactory, WebhookEndpointFactory
from tokens.services import ReviewError, access_request_cancel, access_request_review
from webhooks.models import WebhookDelivery
from webhooks.notifications import failure_words

pytestmark = pytest.mark.usefixtures("private_targets")

SECRET = "It's a Secret to Everybody"


@pytest.fixture
def endpoint(cast, receiver):
    return WebhookEndpointFactory(organization=cast.acme, url=receiver.url, secret=SECRET)


def only(received):
    assert len(received) == 1, received
    return received[0]


def test_a_new_token_request_reaches_the_receiver_with_a_valid_signature(cast, receiver, endpoint):
    request = request_for(cast.alice, cast)

    assert outbound_emails_deliver().sent >= 1
    sent = only(receiver.received)
    assert github_webhooks.verify(SECRET, sent.body, sent.headers["X-Hub-Signature-256"])
    assert sent.headers["X-GitHub-Event"] == "personal_access_token_request"
    assert sent.headers["Content-Type"] == "application/json"
    event = github_webhooks.parse("personal_access_token_request", sent.body)
    assert event.action == "created"
    assert event.personal_access_token_request.id == request.pk
    assert event.organization.login == "acme"
    assert event.sender.login == "alice"


def test_the_delivery_id_header_is_the_deliveries_guid(cast, receiver, endpoint):
    request_for(cast.alice, cast)
    outbound_emails_deliver()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert only(receiver.received).headers["X-GitHub-Delivery"] == str(delivery.guid)
    assert delivery.delivered_at is not None


def test_a_signature_with_another_secret_does_not_verify(cast, receiver, endpoint):
    request_for(cast.alice, cast)
    outbound_emails_deliver()

    sent = only(receiver.received)
    assert not github_webhooks.verify("another secret", sent.body, sent.headers["X-Hub-Signature-256"])


@pytest.mark.parametrize("approve, action", [(True, "approved"), (False, "denied")])
def test_a_review_is_announced_in_githubs_shape(cast, receiver, endpoint, approve, action):
    request = request_for(cast.alice, cast)
    access_request_review(request=request, reviewer=cast.olga, approve=approve)
    outbound_emails_deliver()

    created, reviewed = (github_webhooks.parse("personal_access_token_request", r.body) for r in receiver.received)
    assert (created.action, reviewed.action) == ("created", action)
    assert reviewed.sender.login == "olga"


def test_a_cancelled_request_is_announced_in_githubs_shape(cast, receiver, endpoint):
    request = request_for(cast.alice, cast)
    access_request_cancel(request=request, actor=cast.alice)
    outbound_emails_deliver()

    actions = [github_webhooks.parse("personal_access_token_request", r.body).action for r in receiver.received]
    assert actions == ["created", "cancelled"]


def test_the_enterprises_endpoint_hears_its_organizations_events_with_the_enterprise(cast, receiver):
    WebhookEndpointFactory(enterprise=cast.bigcorp, url=receiver.url)
    request_for(cast.alice, cast)
    outbound_emails_deliver()

    sent = only(receiver.received)
    assert sent.headers["X-GitHub-Hook-Installation-Target-Type"] == "enterprise"
    event = github_webhooks.parse("personal_access_token_request", sent.body)
    assert event.enterprise.slug == "bigcorp"


def test_another_organizations_event_sends_nothing(cast, receiver, endpoint):
    AccessRequestFactory(user=cast.mallory, organization=cast.globex, permissions={"contents": "read"})
    outbound_emails_deliver()

    assert receiver.received == []


def test_an_endpoint_hears_only_the_events_it_chose(cast, receiver):
    WebhookEndpointFactory(organization=cast.acme, url=receiver.url, events=["personal_access_token_policy"])
    request_for(cast.alice, cast)
    outbound_emails_deliver()

    assert receiver.received == []


def test_a_change_that_rolls_back_queues_no_delivery(cast, receiver, endpoint):
    request = request_for(cast.alice, cast)
    WebhookDelivery.objects.all().delete()
    access_request_review(request=request, reviewer=cast.olga, approve=True)
    with pytest.raises(ReviewError):  # already reviewed: the second review rolls back
        access_request_review(request=request, reviewer=cast.olga, approve=False)

    assert list(WebhookDelivery.objects.values_list("action", flat=True)) == ["approved"]


def test_a_failing_receiver_is_tried_again_after_a_growing_delay(cast, receiver, endpoint, settings):
    receiver.status = 500
    request_for(cast.alice, cast)

    before = timezone.now()
    assert outbound_emails_deliver().failed == 1
    row = OutboundEmail.objects.get(kind="webhooks.delivery")
    assert row.next_attempt_at >= before + timedelta(seconds=settings.PATROL_OUTBOX_RETRY_SECONDS)
    assert row.last_error == "The receiver answered 500."
    assert outbound_emails_deliver().failed == 0  # not due yet

    OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbound_emails_deliver().failed == 1
    row.refresh_from_db()
    assert row.next_attempt_at >= timezone.now() + timedelta(seconds=2 * settings.PATROL_OUTBOX_RETRY_SECONDS - 5)
    assert len(receiver.received) == 2


def test_a_receiver_failing_every_attempt_is_parked_with_each_attempt_recorded(cast, receiver, endpoint, settings):
    receiver.status = 500
    settings.PATROL_OUTBOX_RETRY_SECONDS = 0
    request_for(cast.alice, cast)

    outcomes = [outbound_emails_deliver() for _ in range(settings.PATROL_OUTBOX_MAX_ATTEMPTS)]

    assert outcomes[-1].parked == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    attempts = list(delivery.attempts.values_list("status_code", "error"))
    assert attempts == [(500, "The receiver answered 500.")] * settings.PATROL_OUTBOX_MAX_ATTEMPTS
    assert len(receiver.received) == settings.PATROL_OUTBOX_MAX_ATTEMPTS
    assert delivery.delivered_at is None


def test_a_redirect_is_not_followed(cast, receiver, endpoint):
    receiver.status = 302
    request_for(cast.alice, cast)
    outbound_emails_deliver()

    only(receiver.received)
    attempt = WebhookDelivery.objects.get(endpoint=endpoint).attempts.get()
    assert attempt.status_code == 302
    assert "redirects are not followed" in attempt.error


def test_a_receiver_that_is_not_listening_is_an_attempt_with_its_error(cast):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once the probe closes: nothing listens there
    endpoint = WebhookEndpointFactory(organization=cast.acme, url=f"http://127.0.0.1:{port}/hook")
    request_for(cast.alice, cast)
    outbound_emails_deliver()

    attempt = WebhookDelivery.objects.get(endpoint=endpoint).attempts.get()
    assert attempt.status_code is None
    assert attempt.error == "Connection refused: nothing listens at that address and port."


def tls_error(reason: str) -> ssl.SSLError:
    error = ssl.SSLError(1, f"[SSL: {reason}] ({reason.lower()})")
    error.reason = reason  # as the ssl module sets it
    return error


@pytest.mark.parametrize(
    "error, words",
    [
        (tls_error("WRONG_VERSION_NUMBER"), "TLS failed: wrong version number."),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "Could not connect: No route to host."),
        (ValueError("Invalid header value"), "Not sent: Invalid header value"),
    ],
    ids=["tls", "unreachable", "not sendable"],
)
def test_other_failures_are_said_in_words(error, words):
    assert failure_words(error) == words


def test_the_body_is_the_payload_as_stored(cast, receiver, endpoint):
    request_for(cast.alice, cast)
    outbound_emails_deliver()

    assert json.loads(only(receiver.received).body) == WebhookDelivery.objects.get().payload


def test_the_secret_is_in_no_log_record_page_or_outbox_row(cast, receiver, endpoint, caplog, settings):
    receiver.status = 500
    settings.PATROL_OUTBOX_RETRY_SECONDS = 0
    request_for(cast.alice, cast)
    with caplog.at_level("DEBUG"):
        for _ in range(settings.PATROL_OUTBOX_MAX_ATTEMPTS):
            outbound_emails_deliver()
    delivery = WebhookDelivery.objects.get()
    page = client_for(cast.olga).get(f"/orgs/acme/settings/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/")

    assert SECRET not in caplog.text
    assert SECRET not in html.unescape(page.content.decode())
    assert SECRET not in str(list(OutboundEmail.objects.values_list("payload", "last_error")))
    assert SECRET not in json.dumps(delivery.payload)
