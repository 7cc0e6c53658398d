"""Webhooks cost a fixed number of queries: an event nobody listens to, and the owners' pages (behaviour §5.7)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outbox.services import outbound_emails_deliver
from tests.conftest import client_for, request_for
from tests.factories import WebhookEndpointFactory
from tests.speed.conftest import queries_for
from tokens.models import AccessRequest
from webhooks.services import access_request_event


def test_an_event_nobody_listens_to_costs_one_query(cast):
    request = AccessRequest.objects.select_related("organization").get(pk=request_for(cast.alice, cast).pk)

    with CaptureQueriesContext(connection) as captured:
        access_request_event(request=request, action="created", actor=cast.alice)

    assert len(captured) == 1


def test_the_webhook_list_costs_the_same_with_more_webhooks(cast):
    client = client_for(cast.olga)
    url = reverse("webhooks:org-list", args=["acme"])
    WebhookEndpointFactory(organization=cast.acme)
    few = queries_for(client, url)
    for _ in range(5):
        WebhookEndpointFactory(organization=cast.acme)

    assert queries_for(client, url) == few


def test_a_webhooks_page_costs_the_same_with_more_deliveries(cast):
    client = client_for(cast.olga)
    endpoint = WebhookEndpointFactory(organization=cast.acme)
    url = reverse("webhooks:org-edit", args=["acme", endpoint.pk])
    request_for(cast.alice, cast)
    few = queries_for(client, url)
    for name in ("one", "two", "three", "four"):
        request_for(cast.alice, cast, name=name)
    outbound_emails_deliver()  # failing ones (nothing listens at hooks.example.com) have outbox state to show

    assert queries_for(client, url) == few
