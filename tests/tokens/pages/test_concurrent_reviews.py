"""Two owners acting on the same request or grant at once (behaviour §5.2; PostgreSQL row locks)."""

import threading

import pytest
from django.core import mail
from django.db import connection

from audit.models import AuditEvent
from organizations.services import organization_owner_grant
from tests.factories import UserFactory, fine_grained_token, grant_of, pending_request
from tokens import services
from tokens.models import AccessRequest

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks"),
]


def race(action, actors):
    """Run `action(actor)` in one thread per actor, released together; return the outcomes."""
    barrier = threading.Barrier(len(actors))
    outcomes = []

    def run(actor):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            action(actor)
            outcomes.append("done")
        except services.ReviewError:
            outcomes.append("refused")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.fixture
def owners(cast):
    second = UserFactory(username="otto")
    organization_owner_grant(organization=cast.acme, user=second)
    return [cast.olga, second]


def test_two_owners_reviewing_at_once_make_one_review_one_event_one_email(cast, owners):
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}).token
    request = pending_request(token)
    mail.outbox.clear()

    outcomes = race(
        lambda owner: services.access_request_review(
            request=request, reviewer=owner, approve=owner == cast.olga, reason="race"
        ),
        owners,
    )

    assert outcomes == ["done", "refused"]
    assert AccessRequest.objects.get(pk=request.pk).status in ("approved", "denied")
    reviews = AuditEvent.objects.filter(
        action__in=["personal_access_token.access_granted", "personal_access_token.request_denied"],
        data__request_id=request.pk,
    )
    assert reviews.count() == 1
    assert len(mail.outbox) == 1


def test_two_owners_revoking_at_once_make_one_revocation_one_event_one_email(cast, owners):
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}).token
    services.access_request_review(request=pending_request(token), reviewer=cast.olga, approve=True)
    grant = grant_of(token)
    mail.outbox.clear()

    outcomes = race(lambda owner: services.grant_revoke(grant=grant, actor=owner), owners)

    assert outcomes == ["done", "refused"]
    assert AuditEvent.objects.filter(action="personal_access_token.access_revoked", token_id=token.pk).count() == 1
    assert len(mail.outbox) == 1
