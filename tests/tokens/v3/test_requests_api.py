"""GitHub's request endpoints (behaviour §5.5)."""

import pytest
from django.core import mail

from audit.models import AuditEvent
from tests.conftest import request_for
from tests.factories import fine_grained_token, pending_request

REQUESTS = "/api/v3/orgs/acme/personal-access-token-requests"


def test_list_uses_githubs_field_names(owner_api, cast):
    request = request_for(
        cast.alice,
        cast,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "read"},
        justification="deploys",
    )
    (item,) = owner_api.get(REQUESTS).json()
    assert item["id"] == request.pk
    assert item["reason"] == "deploys"
    assert item["owner"]["login"] == "alice"
    assert item["owner"]["type"] == "User"
    assert item["repository_selection"] == "subset"
    assert item["repositories_url"].endswith(f"{REQUESTS}/{request.pk}/repositories")
    assert item["permissions"] == {"organization": {}, "repository": {"contents": "read"}, "other": {}}
    assert item["token_id"] == request.token.pk
    assert item["token_name"] == request.token.name
    assert item["token_expired"] is False
    assert set(item) >= {"created_at", "token_expires_at", "token_last_used_at"}


def test_list_paginates_with_link_headers(owner_api, cast):
    for _ in range(3):
        request_for(cast.alice, cast)
    response = owner_api.get(REQUESTS, {"per_page": 2, "page": 1})
    assert len(response.json()) == 2
    assert 'page=2&per_page=2>; rel="next"' in response["Link"] or 'per_page=2&page=2>; rel="next"' in response["Link"]
    assert 'rel="last"' in response["Link"]
    assert len(owner_api.get(REQUESTS, {"per_page": 2, "page": 2}).json()) == 1


def test_list_sorts_oldest_first_when_asked(owner_api, cast):
    first = request_for(cast.alice, cast)
    second = request_for(cast.alice, cast)
    ids = [item["id"] for item in owner_api.get(REQUESTS, {"direction": "asc"}).json()]
    assert ids == [first.pk, second.pk]


def test_list_filters_by_owner_array(owner_api, cast):
    request_for(cast.alice, cast)
    bobs = request_for(cast.emu_bob, cast)
    items = owner_api.get(f"{REQUESTS}?owner[]=emu_bob").json()
    assert [item["id"] for item in items] == [bobs.pk]


def test_list_filters_by_permission_like_issues_read(owner_api, cast):
    request_for(cast.alice, cast, permissions={"contents": "read"})
    issues = request_for(cast.alice, cast, permissions={"issues": "read"})
    assert [item["id"] for item in owner_api.get(REQUESTS, {"permission": "issues_read"}).json()] == [issues.pk]


def test_list_filters_by_repository_and_token_id(owner_api, cast):
    web = request_for(cast.alice, cast, repository_access="selected", repositories=[cast.web])
    request_for(cast.alice, cast, repository_access="selected", repositories=[cast.docs])
    assert [item["id"] for item in owner_api.get(REQUESTS, {"repository": "web"}).json()] == [web.pk]
    assert [item["id"] for item in owner_api.get(f"{REQUESTS}?token_id[]={web.token_id}").json()] == [web.pk]


def test_bad_query_parameters_are_422_naming_them(owner_api):
    response = owner_api.get(REQUESTS, {"per_page": 101, "sort": "name", "permission": "nonsense_read"})
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"per_page", "sort", "permission"}


def test_list_costs_a_fixed_number_of_queries(owner_api, cast, django_assert_num_queries):
    owner_api.get(REQUESTS)  # the token's first use records last_used_at (one write a minute)
    for _ in range(5):
        request_for(cast.emu_bob, cast)
    # the check (the credential and the organization, in one), ownership, the
    # organization, count, page and the acting user behind the token
    with django_assert_num_queries(6):
        assert len(owner_api.get(REQUESTS).json()) == 5


def test_single_review_approves_and_answers_204(owner_api, cast):
    request = request_for(cast.alice, cast)
    response = owner_api.post(f"{REQUESTS}/{request.pk}", {"action": "approve"}, format="json")
    assert response.status_code == 204
    request.refresh_from_db()
    assert (request.status, request.reviewed_by) == ("approved", cast.olga)


def test_single_review_of_a_reviewed_request_is_422(owner_api, cast):
    request = request_for(cast.alice, cast)
    owner_api.post(f"{REQUESTS}/{request.pk}", {"action": "deny"}, format="json")
    response = owner_api.post(f"{REQUESTS}/{request.pk}", {"action": "approve"}, format="json")
    assert response.status_code == 422


def test_single_review_of_another_organizations_request_is_404(owner_api, cast):
    theirs = pending_request(
        fine_grained_token(cast.mallory, resource_owner=cast.globex, permissions={"contents": "read"}).token
    )
    assert owner_api.post(f"{REQUESTS}/{theirs.pk}", {"action": "approve"}, format="json").status_code == 404


def test_bulk_deny_answers_202_and_reviews_each_once(owner_api, cast, django_capture_on_commit_callbacks):
    requests = [request_for(cast.alice, cast) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.post(
            REQUESTS,
            {"pat_request_ids": [r.pk for r in requests], "action": "deny", "reason": "not now"},
            format="json",
        )
    assert response.status_code == 202
    for request in requests:
        request.refresh_from_db()
        assert (request.status, request.reason) == ("denied", "not now")
    assert AuditEvent.objects.filter(action="personal_access_token.request_denied").count() == 2
    assert len(mail.outbox) == 2


def test_bulk_review_of_more_than_100_is_422(owner_api):
    response = owner_api.post(REQUESTS, {"pat_request_ids": list(range(1, 102)), "action": "approve"}, format="json")
    assert response.status_code == 422


def test_bulk_review_with_an_unknown_id_changes_nothing(owner_api, cast):
    request = request_for(cast.alice, cast)
    response = owner_api.post(REQUESTS, {"pat_request_ids": [request.pk, 999999], "action": "approve"}, format="json")
    assert response.status_code == 422
    request.refresh_from_db()
    assert request.status == "pending"


def test_an_unknown_action_or_field_is_422(owner_api, cast):
    request = request_for(cast.alice, cast)
    assert owner_api.post(f"{REQUESTS}/{request.pk}", {"action": "maybe"}, format="json").status_code == 422
    extra = {"action": "approve", "extra": 1}
    assert owner_api.post(f"{REQUESTS}/{request.pk}", extra, format="json").status_code == 422


def test_a_reason_over_1024_characters_is_422(owner_api, cast):
    request = request_for(cast.alice, cast)
    body = {"action": "deny", "reason": "x" * 1025}
    assert owner_api.post(f"{REQUESTS}/{request.pk}", body, format="json").status_code == 422


def test_request_repositories_lists_the_selected_ones(owner_api, cast):
    request = request_for(cast.alice, cast, repository_access="selected", repositories=[cast.web, cast.docs])
    items = owner_api.get(f"{REQUESTS}/{request.pk}/repositories").json()
    assert [(item["full_name"], item["private"]) for item in items] == [("acme/docs", False), ("acme/web", True)]


@pytest.mark.parametrize("query", ["owner[]=", "repository=", "permission=%20", "token_id[]=", "direction="])
def test_a_parameter_given_blank_is_422_naming_it(owner_api, query):
    response = owner_api.get(f"{REQUESTS}?{query}")
    assert response.status_code == 422
    name = query.split("=")[0].removesuffix("[]")
    assert [error["field"] for error in response.json()["errors"]] == [name]


def test_list_filters_by_permission_spelled_with_a_colon(owner_api, cast):
    request_for(cast.alice, cast, permissions={"contents": "read"})
    issues = request_for(cast.alice, cast, permissions={"issues": "write"})
    assert [item["id"] for item in owner_api.get(REQUESTS, {"permission": "issues:write"}).json()] == [issues.pk]
