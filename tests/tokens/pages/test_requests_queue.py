"""Organization owners' pending requests (behaviour §5.2)."""

import pytest
from django.core import mail

from audit.models import AuditEvent
from organizations.services import repository_create
from tests.conftest import request_for
from tests.factories import fine_grained_token, pending_request
from tests.tokens.pages.conftest import queries_for

QUEUE = "/orgs/acme/settings/personal-access-tokens/requests/"


@pytest.mark.parametrize("who", ["alice", "mallory", "gina", "erin"])
def test_members_and_outsiders_get_404(as_user, cast, who):
    client = as_user(getattr(cast, who))
    assert client.get(QUEUE).status_code == 404
    assert client.get(QUEUE.replace("requests", "active")).status_code == 404


def test_a_member_cannot_review_by_posting(as_user, cast):
    request = request_for(cast.alice, cast)
    response = as_user(cast.emu_bob).post(f"{QUEUE}{request.pk}/", {"action": "approve"})
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == "pending"


def test_the_queue_shows_what_each_request_asks_for(as_user, cast):
    request_for(
        cast.alice,
        cast,
        name="deploy",
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "read", "issues": "read"},
        justification="nightly builds",
    )
    page = as_user(cast.olga).get(QUEUE).content.decode()
    for text in ("deploy", "alice", "nightly builds", "Only select repositories: web", "contents:read", "issues:read"):
        assert text in page


def test_another_organizations_request_is_a_404(as_user, cast):
    request = pending_request(
        fine_grained_token(cast.mallory, resource_owner=cast.globex, permissions={"contents": "read"}).token
    )
    assert as_user(cast.olga).get(f"{QUEUE}{request.pk}/").status_code == 404


def test_filter_by_owner(as_user, cast):
    request_for(cast.alice, cast, name="alices")
    request_for(cast.emu_bob, cast, name="bobs")
    rows = as_user(cast.olga).get(QUEUE, {"owner": "emu_bob"}).context["rows"]
    assert [row.token.name for row in rows] == ["bobs"]


def test_filter_by_repository(as_user, cast):
    request_for(cast.alice, cast, name="web-only", repository_access="selected", repositories=[cast.web])
    request_for(cast.alice, cast, name="docs-only", repository_access="selected", repositories=[cast.docs])
    request_for(cast.alice, cast, name="everything", repository_access="all")
    rows = as_user(cast.olga).get(QUEUE, {"repository": "web"}).context["rows"]
    assert sorted(row.token.name for row in rows) == ["everything", "web-only"]


def test_filter_by_permission(as_user, cast):
    request_for(cast.alice, cast, name="reader", permissions={"issues": "read"})
    request_for(cast.alice, cast, name="writer", permissions={"issues": "write"})
    request_for(cast.alice, cast, name="other", permissions={"contents": "read"})
    rows = as_user(cast.olga).get(QUEUE, {"permission": "issues_write"}).context["rows"]
    assert [row.token.name for row in rows] == ["writer"]


def test_approving_one_grants_it_audits_it_and_emails_the_requester(as_user, cast, django_capture_on_commit_callbacks):
    request = request_for(cast.alice, cast)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(cast.olga).post(f"{QUEUE}{request.pk}/", {"action": "approve"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved"
    granted = AuditEvent.objects.filter(action="personal_access_token.access_granted", data__request_id=request.pk)
    assert granted.count() == 1
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]


def test_denying_one_keeps_the_reason(as_user, cast):
    request = request_for(cast.alice, cast)
    as_user(cast.olga).post(f"{QUEUE}{request.pk}/", {"action": "deny", "reason": "use a narrower token"})
    request.refresh_from_db()
    assert (request.status, request.reason) == ("denied", "use a narrower token")


def test_a_reason_over_1024_characters_is_refused(as_user, cast):
    request = request_for(cast.alice, cast)
    response = as_user(cast.olga).post(QUEUE, {"request_ids": [request.pk], "action": "deny", "reason": "x" * 1025})
    assert "reason" in response.context["form"].errors
    request.refresh_from_db()
    assert request.status == "pending"


def test_reviewing_a_reviewed_request_again_says_so(as_user, cast):
    request = request_for(cast.alice, cast)
    client = as_user(cast.olga)
    client.post(f"{QUEUE}{request.pk}/", {"action": "approve"})
    response = client.post(f"{QUEUE}{request.pk}/", {"action": "deny"}, follow=True)
    assert f"Request #{request.pk} is already approved." in response.content.decode()
    request.refresh_from_db()
    assert request.status == "approved"


def test_bulk_deny_with_a_reason(as_user, cast):
    requests = [request_for(cast.alice, cast) for _ in range(3)]
    data = {"request_ids": [r.pk for r in requests], "action": "deny", "reason": "spring clean"}
    as_user(cast.olga).post(QUEUE, data)
    for request in requests:
        request.refresh_from_db()
        assert (request.status, request.reason) == ("denied", "spring clean")


def test_bulk_review_of_more_than_100_is_refused(as_user, cast):
    request = request_for(cast.alice, cast)
    response = as_user(cast.olga).post(QUEUE, {"request_ids": list(range(1, 102)), "action": "approve"})
    assert "Select at most 100" in str(response.context["form"].errors["request_ids"])
    request.refresh_from_db()
    assert request.status == "pending"


def test_bulk_review_with_another_organizations_request_changes_nothing(as_user, cast):
    ours = request_for(cast.alice, cast)
    theirs = pending_request(
        fine_grained_token(cast.mallory, resource_owner=cast.globex, permissions={"contents": "read"}).token
    )
    response = as_user(cast.olga).post(QUEUE, {"request_ids": [ours.pk, theirs.pk], "action": "approve"})
    assert response.status_code == 200
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.status, theirs.status) == ("pending", "pending")


def test_the_queue_costs_the_same_queries_for_one_request_or_many(as_user, cast):
    client = as_user(cast.olga)
    request_for(cast.alice, cast, repository_access="selected", repositories=[cast.web])
    few = queries_for(client, QUEUE)
    for number in range(5):
        repository = repository_create(owner=cast.acme, name=f"extra{number}")
        request_for(cast.emu_bob, cast, repository_access="selected", repositories=[repository, cast.docs])
    assert queries_for(client, QUEUE) == few


def test_filtering_by_repository_adds_a_fixed_number_of_queries(as_user, cast):
    client = as_user(cast.olga)
    request_for(cast.alice, cast)
    few = queries_for(client, f"{QUEUE}?repository=web")
    for _ in range(5):
        request_for(cast.alice, cast)
    assert queries_for(client, f"{QUEUE}?repository=web") == few
