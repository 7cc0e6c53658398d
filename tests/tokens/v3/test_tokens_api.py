"""GitHub's grant endpoints: pat_id is the grant's id (behaviour §2, §5.5)."""

import pytest

from tests.factories import GrantFactory, fine_grained_token, grant_of

TOKENS = "/api/v3/orgs/acme/personal-access-tokens"


@pytest.fixture
def approved(cast):
    return GrantFactory(
        user=cast.alice,
        organization=cast.acme,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "read"},
    )


def test_list_shows_grants_with_githubs_field_names(owner_api, approved):
    item = next(item for item in owner_api.get(TOKENS).json() if item["id"] == approved.pk)
    assert item["token_id"] == approved.token_id
    assert item["repository_selection"] == "subset"
    assert item["owner"]["login"] == "alice"
    assert item["repositories_url"].endswith(f"{TOKENS}/{approved.pk}/repositories")
    assert "access_granted_at" in item


def test_list_filters_by_last_used(owner_api, approved):
    items = owner_api.get(TOKENS, {"last_used_after": "2000-01-01T00:00:00Z"}).json()
    assert approved.pk not in [item["id"] for item in items]  # never used


def test_list_filters_by_expiring_within_days_as_the_page_does(owner_api, cast, approved):
    soon = GrantFactory(user=cast.alice, organization=cast.acme, permissions={"contents": "read"}, expires_in_days=2)
    items = owner_api.get(TOKENS, {"expiring": "7"}).json()
    assert [item["id"] for item in items] == [soon.pk]


def test_an_unknown_expiring_choice_is_422_naming_the_field(owner_api, approved):
    response = owner_api.get(TOKENS, {"expiring": "99999999999999999999"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["expiring"]


def test_list_costs_a_fixed_number_of_queries(owner_api, cast, approved, django_assert_num_queries):
    owner_api.get(TOKENS)  # the token's first use records last_used_at (one write a minute)
    for _ in range(5):
        fine_grained_token(cast.olga, resource_owner=cast.acme, permissions={"contents": "read"})
    # the check (the credential and the organization, in one), ownership, the
    # organization, count, page and the acting user behind the token
    with django_assert_num_queries(6):
        assert len(owner_api.get(TOKENS).json()) == 7


def test_revoking_one_answers_204(owner_api, approved):
    response = owner_api.post(f"{TOKENS}/{approved.pk}", {"action": "revoke"}, format="json")
    assert response.status_code == 204
    approved.refresh_from_db()
    assert approved.revoked_at is not None


def test_revoking_a_revoked_grant_is_422(owner_api, approved):
    owner_api.post(f"{TOKENS}/{approved.pk}", {"action": "revoke"}, format="json")
    assert owner_api.post(f"{TOKENS}/{approved.pk}", {"action": "revoke"}, format="json").status_code == 422


def test_bulk_revoke_answers_202(owner_api, approved):
    response = owner_api.post(TOKENS, {"pat_ids": [approved.pk], "action": "revoke"}, format="json")
    assert response.status_code == 202
    approved.refresh_from_db()
    assert approved.revoked_at is not None


def test_bulk_revoke_of_more_than_100_is_422(owner_api):
    body = {"pat_ids": list(range(1, 102)), "action": "revoke"}
    assert owner_api.post(TOKENS, body, format="json").status_code == 422


def test_revoking_another_organizations_grant_is_404(owner_api, cast):
    token = fine_grained_token(cast.gina, resource_owner=cast.globex, permissions={"contents": "read"}).token
    assert owner_api.post(f"{TOKENS}/{grant_of(token).pk}", {"action": "revoke"}, format="json").status_code == 404


def test_grant_repositories_lists_what_the_grant_holds(owner_api, approved):
    items = owner_api.get(f"{TOKENS}/{approved.pk}/repositories").json()
    assert [item["name"] for item in items] == ["web"]


def test_a_huge_id_is_404_not_500(owner_api):
    assert owner_api.get(f"{TOKENS}/99999999999999999999999/repositories").status_code == 404
