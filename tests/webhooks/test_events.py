"""Patrol's own events, and the target check at the moment of sending (behaviour §5.7)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from githubkit import webhooks as github_webhooks

from outbox.services import outbound_emails_deliver
from policies.services import enterprise_policy_update, organization_policy_update
from tests.conftest import request_for
from tests.factories import GrantFactory, WebhookEndpointFactory
from tokens import reminders
from tokens.services import grant_revoke
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.usefixtures("private_targets")


def events_received(receiver) -> list[tuple[str, dict]]:
    return [(sent.headers["X-GitHub-Event"], json.loads(sent.body)) for sent in receiver.received]


def test_an_owners_revoke_is_announced_with_the_grant(cast, receiver):
    grant = GrantFactory(
        user=cast.alice, organization=cast.acme, permissions={"contents": "read"}, repository_access="all"
    )
    WebhookEndpointFactory(organization=cast.acme, url=receiver.url, events=["personal_access_token_grant"])

    grant_revoke(grant=grant, actor=cast.olga)
    outbound_emails_deliver()

    [(event, body)] = events_received(receiver)
    assert (event, body["action"]) == ("personal_access_token_grant", "revoked")
    assert body["personal_access_token_grant"]["id"] == grant.pk
    assert body["personal_access_token_grant"]["revoked_at"] is not None
    assert (body["organization"]["login"], body["sender"]["login"]) == ("acme", "olga")


def test_a_token_nearing_its_expiry_is_announced_to_the_organization_it_reaches(cast, receiver):
    grant = GrantFactory(
        user=cast.alice, organization=cast.acme, permissions={"contents": "read"}, repository_access="all"
    )
    token = grant.token
    token.expires_at, token.issued_at = timezone.now() + timedelta(days=6), timezone.now() - timedelta(days=20)
    type(token).objects.filter(pk=token.pk).update(expires_at=token.expires_at, issued_at=token.issued_at)
    WebhookEndpointFactory(organization=cast.acme, url=receiver.url, events=["personal_access_token_expiry"])

    reminders.expiry_reminders_send()
    outbound_emails_deliver()

    [(event, body)] = events_received(receiver)
    assert (event, body["action"]) == ("personal_access_token_expiry", "expiring")
    assert body["personal_access_token"]["id"] == token.pk
    assert body["organization"]["login"] == "acme"


def test_an_organizations_policy_save_is_announced_with_what_changed(cast, receiver):
    WebhookEndpointFactory(organization=cast.acme, url=receiver.url, events=["personal_access_token_policy"])

    organization_policy_update(organization=cast.acme, actor=cast.olga, fine_grained_max_lifetime_days=30)
    outbound_emails_deliver()

    [(event, body)] = events_received(receiver)
    assert (event, body["action"]) == ("personal_access_token_policy", "changed")
    assert body["changes"] == {"fine_grained_max_lifetime_days": {"from": None}}
    assert body["policies"] == {"fine_grained_max_lifetime_days": 30}


def test_an_enterprises_policy_save_reaches_its_own_webhooks_only(cast, receiver):
    WebhookEndpointFactory(enterprise=cast.bigcorp, url=receiver.url, events=["personal_access_token_policy"])
    WebhookEndpointFactory(organization=cast.acme, url=receiver.url, events=["personal_access_token_policy"])

    enterprise_policy_update(enterprise=cast.bigcorp, actor=cast.erin, fine_grained_max_lifetime_days=30)
    outbound_emails_deliver()

    [(_, body)] = events_received(receiver)
    assert body["enterprise"]["slug"] == "bigcorp"
    assert "organization" not in body


def test_a_save_that_changes_nothing_sends_nothing(cast, receiver):
    WebhookEndpointFactory(organization=cast.acme, url=receiver.url)

    organization_policy_update(organization=cast.acme, actor=cast.olga)

    assert not WebhookDelivery.objects.exists()


def test_a_name_that_now_resolves_inside_is_refused_when_sending(cast, receiver, settings, monkeypatch):
    """DNS rebinding: the name was public when saved; at delivery it points at loopback, and nothing is sent."""
    settings.PATROL_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    answers = iter(["93.184.215.14", "127.0.0.1"])
    monkeypatch.setattr(
        "socket.getaddrinfo", lambda host, port, **kwargs: [(2, 1, 6, "", (next(answers, "127.0.0.1"), port))]
    )
    endpoint = WebhookEndpointFactory(organization=cast.acme, url="http://rebind.example/hook")
    request_for(cast.alice, cast)

    assert outbound_emails_deliver().failed == 1

    attempt = WebhookDelivery.objects.get(endpoint=endpoint).attempts.get()
    assert attempt.status_code is None
    assert attempt.error == "Not sent: 127.0.0.1 is a loopback address; webhooks go only to public addresses."
    assert receiver.received == []


def test_a_member_removed_has_each_grant_revoke_announced(cast, receiver):
    from organizations.services import membership_remove

    GrantFactory(user=cast.alice, organization=cast.acme, permissions={"contents": "read"}, repository_access="all")
    WebhookEndpointFactory(organization=cast.acme, url=receiver.url, events=["personal_access_token_grant"])

    membership_remove(organization=cast.acme, user=cast.alice, actor=cast.olga)
    outbound_emails_deliver()

    assert [body["action"] for _, body in events_received(receiver)] == ["revoked"]


def test_a_request_payload_counts_the_repositories_of_a_selection(cast, receiver):
    WebhookEndpointFactory(organization=cast.acme, url=receiver.url)
    request_for(cast.alice, cast, repository_access="selected", repositories=[cast.web, cast.handbook])
    outbound_emails_deliver()

    event = github_webhooks.parse("personal_access_token_request", receiver.received[0].body)
    assert event.personal_access_token_request.repository_selection == "subset"
    assert event.personal_access_token_request.repository_count == 2
    assert {repo.full_name for repo in event.personal_access_token_request.repositories} == {
        "acme/web",
        "acme/handbook",
    }
