"""Two owners reviewing the same pending request at once produce exactly one review
and one audit event (tokens.services.access_request_review locks the row first).

PostgreSQL only: SQLite serialises writers for the whole database, so it cannot
show the race this guards against.
"""

import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from organizations.services import organization_owner_grant
from tests.factories import UserFactory, fine_grained_token, pending_request
from tokens import services
from tokens.models import AccessRequest, Grant
from tokens.services import ReviewError

REVIEW_ACTIONS = ["personal_access_token.access_granted", "personal_access_token.request_denied"]


def review_at_once(reviews):
    """Run each (reviewer, approve) in its own thread and connection, released together."""
    start = threading.Barrier(len(reviews))
    outcomes = [None] * len(reviews)

    def run(index, request_id, reviewer, approve):
        try:
            request = AccessRequest.objects.get(pk=request_id)
            start.wait(timeout=30)
            services.access_request_review(request=request, reviewer=reviewer, approve=approve)
            outcomes[index] = "reviewed"
        except ReviewError:
            outcomes[index] = "already reviewed"
        except Exception as error:  # shown by the caller's assertion
            outcomes[index] = repr(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(index, *review)) for index, review in enumerate(reviews)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return sorted(outcomes)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("first_approves", "second_approves"),
    [(True, True), (False, False), (True, False)],
    ids=["approve+approve", "deny+deny", "approve+deny"],
)
def test_two_owners_reviewing_at_once_make_one_review(cast, first_approves, second_approves):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    second_owner = UserFactory(username="otto")
    organization_owner_grant(organization=cast.acme, user=second_owner)
    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    request = pending_request(issued.token)

    outcomes = review_at_once([(request.pk, cast.olga, first_approves), (request.pk, second_owner, second_approves)])

    assert outcomes == ["already reviewed", "reviewed"]
    request.refresh_from_db()
    assert request.status in ("approved", "denied")
    assert AuditEvent.objects.filter(action__in=REVIEW_ACTIONS, token_id=issued.token.pk).count() == 1
    assert Grant.objects.filter(token=issued.token).count() == (1 if request.status == "approved" else 0)
