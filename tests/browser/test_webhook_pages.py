"""An owner adds a webhook and redelivers a failed delivery in Chromium, to a real receiver (behaviour §5.7)."""

import pytest
from playwright.sync_api import expect

from outbox.services import outbound_emails_deliver
from tests.browser.conftest import sign_in
from tests.conftest import request_for
from tests.webhooks.conftest import private_targets, receiver  # noqa: F401 (fixtures)
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("private_targets")]

HOOKS = "/orgs/acme/settings/webhooks/"


def test_an_owner_adds_a_webhook_and_redelivers_a_failed_delivery(cast, page, receiver, settings):  # noqa: F811
    sign_in(page, "olga")
    page.goto(HOOKS)
    page.get_by_role("link", name="Add webhook").click()
    page.get_by_label("Payload URL").fill(receiver.url)
    page.get_by_label("Secret").fill("s3cret")
    page.get_by_label("Token requests: created, approved, denied, cancelled").check()
    page.get_by_role("button", name="Add webhook").click()
    expect(page.locator(".flash-success")).to_contain_text("Webhook added.")
    endpoint = WebhookEndpoint.objects.get()

    receiver.status = 500
    settings.PATROL_OUTBOX_RETRY_SECONDS = 0
    request_for(cast.alice, cast)
    for _ in range(settings.PATROL_OUTBOX_MAX_ATTEMPTS):
        outbound_emails_deliver()
    receiver.status = 200

    page.get_by_role("link", name=receiver.url).click()
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    page.get_by_role("link", name=str(delivery.guid)).click()
    expect(page.locator("#delivery-status")).to_have_text("Failed")
    expect(page.locator("table.attempts tbody tr")).to_have_count(settings.PATROL_OUTBOX_MAX_ATTEMPTS)
    page.get_by_role("button", name="Redeliver").click()

    expect(page.locator(".flash-success")).to_contain_text("Redelivery sent.")
    expect(page.locator("#delivery-status")).to_have_text("Delivered")
    assert receiver.received[-1].headers["X-GitHub-Delivery"] == str(delivery.guid)


def test_a_refused_target_is_named_on_the_form(cast, page, settings):
    settings.PATROL_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    sign_in(page, "olga")
    page.goto(f"{HOOKS}new/")
    page.get_by_label("Payload URL").fill("http://169.254.169.254/latest/meta-data/")
    page.get_by_label("Secret").fill("s3cret")
    page.get_by_label("Token policies changed").check()
    page.get_by_role("button", name="Add webhook").click()

    expect(page.locator("#error-summary")).to_contain_text("Payload URL: 169.254.169.254 is a link-local address")
    assert not WebhookEndpoint.objects.exists()
