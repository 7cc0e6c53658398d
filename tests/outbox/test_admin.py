"""Parked emails in the admin: superusers see them with their error and retry them; enterprise owners see nothing."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from audit.models import AuditEvent
from organizations.services import user_make_site_administrator
from outbox.models import OutboundEmail
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.outbox.helpers import poison_email

CHANGELIST = reverse("admin:outbox_outboundemail_changelist")


@pytest.fixture
def parked(db):
    email = poison_email()
    OutboundEmail.objects.filter(pk=email.pk).update(
        attempts=5, last_error="BadHeaderError: Header values can't contain newlines", parked_at="2026-12-01T00:00Z"
    )
    return email


@pytest.fixture
def root(db):
    return client_for(user_make_site_administrator(user=UserFactory(username="root")))


def test_a_superuser_sees_a_parked_email_with_its_error_and_attempts(root, parked):
    response = root.get(CHANGELIST, {"status": "parked"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "tests.poison" in content
    assert "BadHeaderError: Header values can&#x27;t contain newlines" in content
    assert list(response.context["cl"].result_list) == [parked]


def test_an_enterprise_owner_cannot_see_the_outbox(cast, parked):
    erin = client_for(cast.erin)
    assert erin.get(CHANGELIST).status_code == 403
    assert erin.get(reverse("admin:outbox_outboundemail_change", args=[parked.pk])).status_code == 403
    assert b"Outbound email" not in erin.get(reverse("admin:index")).content


def test_the_outbox_admin_is_read_only(root, parked):
    assert root.get(reverse("admin:outbox_outboundemail_add")).status_code == 403
    change = reverse("admin:outbox_outboundemail_change", args=[parked.pk])
    assert root.get(change).status_code == 200
    assert root.post(change, {"kind": "tokens.request_reviewed"}).status_code == 403
    assert root.post(reverse("admin:outbox_outboundemail_delete", args=[parked.pk]), {"post": "yes"}).status_code == 403
    assert OutboundEmail.objects.get().kind == "tests.poison"


def test_the_retry_action_puts_a_parked_email_back_in_the_queue(root, parked):
    response = root.post(CHANGELIST, {"action": "retry_selected", ACTION_CHECKBOX_NAME: [parked.pk]}, follow=True)
    assert "1 parked email goes back in the queue." in response.content.decode()
    parked.refresh_from_db()
    assert (parked.parked_at, parked.attempts) == (None, 0)
    assert AuditEvent.objects.get(action="outbox.email_retried").actor_login == "root"
