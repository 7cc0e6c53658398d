"""Settings → Webhooks for organization owners (behaviour §5.7): add, edit, delete, deliveries and Redeliver."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from outbox.services import outbound_emails_deliver
from tests.conftest import client_for, request_for
from tests.factories import AccessRequestFactory, WebhookEndpointFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

VALID = {
    "url": "https://hooks.example.com/patrol",
    "secret": "s3cret",
    "events": ["personal_access_token_request"],
    "active": "on",
}


def new_url(login="acme"):
    return reverse("webhooks:org-new", args=[login])


def test_an_owner_adds_a_webhook(cast):
    response = client_for(cast.olga).post(new_url(), VALID)

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.organization, endpoint.url, endpoint.events, endpoint.active) == (
        cast.acme,
        VALID["url"],
        VALID["events"],
        True,
    )
    assert endpoint.secret == "s3cret"


def test_adding_a_webhook_is_audited_without_its_secret(cast):
    client_for(cast.olga).post(new_url(), VALID)

    event = AuditEvent.objects.get(action="webhook.created")
    assert event.organization == cast.acme
    assert "s3cret" not in str(event.data)


def test_the_list_names_the_organizations_webhooks(cast):
    WebhookEndpointFactory(organization=cast.acme, url="https://hooks.example.com/one")

    response = client_for(cast.olga).get(reverse("webhooks:org-list", args=["acme"]))

    assert response.status_code == 200
    assert "https://hooks.example.com/one" in response.content.decode()


def test_the_secret_is_never_shown_again(cast):
    endpoint = WebhookEndpointFactory(organization=cast.acme, secret="do-not-show-me")

    response = client_for(cast.olga).get(reverse("webhooks:org-edit", args=["acme", endpoint.pk]))

    assert "do-not-show-me" not in response.content.decode()


def test_an_empty_secret_on_edit_keeps_the_secret(cast):
    endpoint = WebhookEndpointFactory(organization=cast.acme, secret="keep-me")

    response = client_for(cast.olga).post(
        reverse("webhooks:org-edit", args=["acme", endpoint.pk]), {**VALID, "secret": "", "url": "https://x.example/h"}
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.url) == ("keep-me", "https://x.example/h")


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("url", "ftp://hooks.example.com/", "http:// or https://"),
        ("url", "javascript:alert(1)", "http:// or https://"),
        ("url", "https://user:pw@hooks.example.com/", "user names and passwords"),
        ("url", "http://127.0.0.1/hook", "loopback"),
        ("url", "http://[::1]/hook", "loopback"),
        ("url", "http://10.0.0.7/hook", "private"),
        ("url", "http://169.254.169.254/latest/meta-data/", "link-local"),
        ("url", "http://224.0.0.1/", "multicast"),
        ("url", "http://0.0.0.0/", "unspecified"),
        ("url", "http://[::ffff:127.0.0.1]/", "loopback"),
        ("url", "http://localhost/hook", "loopback"),
        ("url", "https://hooks.example.com/\x07", "control"),
        ("url", "http://[::1/hook", "valid URL"),
        ("url", "http://hooks.example.com:99999/", "valid URL"),
        ("url", "https://hooks.example.com/#top", "fragment"),
        ("url", "https://" + "a" * 2000 + ".example/", "at most 2000"),
        ("secret", "line\nbreak", "line break"),
        ("events", [], "at least one event"),
        ("events", ["push"], "not one of the available choices"),
    ],
)
def test_a_bad_field_is_refused_naming_it_and_nothing_is_saved(cast, field, value, words):
    response = client_for(cast.olga).post(new_url(), {**VALID, field: value})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert words.lower() in " ".join(errors[field]).lower()
    assert not WebhookEndpoint.objects.exists()


def test_a_private_target_is_allowed_where_the_operator_allows_it(cast, private_targets):
    response = client_for(cast.olga).post(new_url(), {**VALID, "url": "http://10.0.0.7/hook"})

    assert response.status_code == 302


def test_a_name_resolving_inside_is_refused_when_saved(cast, monkeypatch):
    monkeypatch.setattr("socket.getaddrinfo", lambda host, port, **kwargs: [(2, 1, 6, "", ("192.168.1.20", port))])

    response = client_for(cast.olga).post(new_url(), {**VALID, "url": "https://intranet.example/hook"})

    assert response.status_code == 400
    assert "private" in " ".join(response.context["form"].errors["url"])


@pytest.mark.parametrize("who", ["alice", "erin", "mallory"])
def test_only_the_organizations_owners_see_its_webhooks(cast, who):
    response = client_for(getattr(cast, who)).get(reverse("webhooks:org-list", args=["acme"]))

    assert response.status_code == 404


def test_another_organizations_webhook_id_is_not_found(cast):
    theirs = WebhookEndpointFactory(organization=cast.globex)
    client = client_for(cast.olga)

    for name in ("webhooks:org-edit", "webhooks:org-delete"):
        assert client.get(reverse(name, args=["acme", theirs.pk])).status_code == 404
        assert client.post(reverse(name, args=["acme", theirs.pk]), VALID).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=theirs.pk).exists()


def test_another_organizations_delivery_id_is_not_found(cast):
    ours = WebhookEndpointFactory(organization=cast.acme)
    theirs = WebhookEndpointFactory(organization=cast.globex)
    AccessRequestFactory(user=cast.mallory, organization=cast.globex, permissions={"contents": "read"})
    delivery = WebhookDelivery.objects.get(endpoint=theirs)

    response = client_for(cast.olga).post(reverse("webhooks:org-delivery", args=["acme", ours.pk, delivery.pk]))

    assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 1


def test_delete_asks_first(cast):
    endpoint = WebhookEndpointFactory(organization=cast.acme)

    response = client_for(cast.olga).get(reverse("webhooks:org-delete", args=["acme", endpoint.pk]))

    assert response.status_code == 200
    assert "Delete this webhook?" in response.content.decode()
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_delete_removes_the_webhook_and_its_deliveries(cast):
    endpoint = WebhookEndpointFactory(organization=cast.acme)
    request_for(cast.alice, cast)

    response = client_for(cast.olga).post(reverse("webhooks:org-delete", args=["acme", endpoint.pk]))

    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert outbound_emails_deliver().failed == 0  # its queued row finds nothing to send


@pytest.mark.usefixtures("private_targets")
def test_a_parked_delivery_is_redelivered_from_its_page(cast, receiver, settings, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(organization=cast.acme, url=receiver.url)
    receiver.status = 500
    settings.PATROL_OUTBOX_RETRY_SECONDS = 0
    request_for(cast.alice, cast)
    for _ in range(settings.PATROL_OUTBOX_MAX_ATTEMPTS):
        outbound_emails_deliver()
    failed = WebhookDelivery.objects.get()
    client = client_for(cast.olga)
    page = reverse("webhooks:org-delivery", args=["acme", endpoint.pk, failed.pk])
    assert "Failed" in client.get(page).content.decode()

    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page)

    again = WebhookDelivery.objects.exclude(pk=failed.pk).get()
    assert response.status_code == 302 and response.url.endswith(f"/deliveries/{again.pk}/")
    assert (again.redelivery, again.guid, again.payload) == (True, failed.guid, failed.payload)
    assert again.delivered_at is not None
    assert receiver.received[-1].headers["X-GitHub-Delivery"] == str(failed.guid)
    assert "Delivered" in client.get(response.url).content.decode()


def test_the_delivery_page_shows_each_attempts_answer(cast, receiver, private_targets):
    endpoint = WebhookEndpointFactory(organization=cast.acme, url=receiver.url)
    receiver.status = 503
    request_for(cast.alice, cast)
    outbound_emails_deliver()
    delivery = WebhookDelivery.objects.get()

    body = client_for(cast.olga).get(reverse("webhooks:org-delivery", args=["acme", endpoint.pk, delivery.pk]))

    text = body.content.decode()
    assert "503" in text and "The receiver answered 503." in text
    assert "Failed, trying again" in text


def test_an_inactive_webhook_cannot_be_redelivered(cast):
    endpoint = WebhookEndpointFactory(organization=cast.acme)
    request_for(cast.alice, cast)
    endpoint.active = False
    endpoint.save()
    delivery = WebhookDelivery.objects.get()

    client_for(cast.olga).post(reverse("webhooks:org-delivery", args=["acme", endpoint.pk, delivery.pk]))

    assert WebhookDelivery.objects.count() == 1


def test_an_empty_post_is_refused_naming_the_required_fields(cast):
    response = client_for(cast.olga).post(new_url(), {})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"url", "secret", "events"}


# The enterprise's pages, in the admin's frame.


def test_an_enterprise_owner_adds_a_webhook_in_the_admin(cast):
    response = client_for(cast.erin).post(reverse("enterprise_webhook_new", args=["bigcorp"]), VALID)

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.enterprise, endpoint.organization) == (cast.bigcorp, None)


def test_the_enterprise_list_shows_its_webhooks_in_the_admin_frame(cast):
    WebhookEndpointFactory(enterprise=cast.bigcorp, url="https://hooks.example.com/bigcorp")

    response = client_for(cast.erin).get(reverse("enterprise_webhook_list", args=["bigcorp"]))

    text = response.content.decode()
    assert response.status_code == 200
    assert "https://hooks.example.com/bigcorp" in text and "Enterprise settings" in text


def test_another_enterprises_webhook_is_not_found(cast):
    theirs = WebhookEndpointFactory(enterprise=cast.othercorp)
    client = client_for(cast.erin)

    assert client.get(reverse("enterprise_webhook_list", args=["othercorp"])).status_code == 404
    assert client.get(reverse("enterprise_webhook_edit", args=["bigcorp", theirs.pk])).status_code == 404
    assert client.post(reverse("enterprise_webhook_delete", args=["bigcorp", theirs.pk])).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=theirs.pk).exists()


def test_an_organizations_webhook_is_not_found_under_its_enterprise(cast):
    acme_hook = WebhookEndpointFactory(organization=cast.acme)

    response = client_for(cast.erin).get(reverse("enterprise_webhook_edit", args=["bigcorp", acme_hook.pk]))

    assert response.status_code == 404


def test_an_organization_owner_is_sent_to_the_admin_sign_in(cast):
    response = client_for(cast.olga).get(reverse("enterprise_webhook_list", args=["bigcorp"]))

    assert response.status_code == 302 and "/admin/login/" in response.url


@pytest.mark.usefixtures("private_targets")
def test_an_enterprise_owner_redelivers_from_the_admin(cast, receiver, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(enterprise=cast.bigcorp, url=receiver.url)
    receiver.status = 500
    request_for(cast.alice, cast)
    outbound_emails_deliver()
    failed = WebhookDelivery.objects.get()
    receiver.status = 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.erin).post(
            reverse("enterprise_webhook_delivery", args=["bigcorp", endpoint.pk, failed.pk])
        )

    assert response.status_code == 302
    assert WebhookDelivery.objects.exclude(pk=failed.pk).get().delivered_at is not None


def test_the_audit_log_names_a_webhook_added(cast):
    client = client_for(cast.olga)
    client.post(new_url(), VALID)

    response = client.get(reverse("organization_audit_log", args=["acme"]))

    assert "Webhook added" in response.content.decode()
