"""The v3 list endpoints cost the same queries for a few rows or pages of them (issue 5)."""

from organizations.services import repository_create
from tests.factories import fine_grained_token, grant_of, pending_request
from tests.speed.conftest import FEW, MANY, Rows, costs, queries_for
from tokens import services

REQUESTS = "/api/v3/orgs/acme/personal-access-token-requests"
TOKENS = "/api/v3/orgs/acme/personal-access-tokens"


def urls(path):
    return [path, f"{path}?page=2", f"{path}?per_page=100", f"{path}?owner[]=alice", f"{path}?direction=asc"]


def test_the_requests_list_costs_the_same_queries_for_few_requests_or_many(cast, owner_api):
    rows = Rows(cast, approve=False)
    rows.add(FEW)
    few = costs(owner_api, urls(REQUESTS))
    rows.add(MANY - FEW)
    assert costs(owner_api, urls(REQUESTS)) == few


def test_the_tokens_list_costs_the_same_queries_for_few_grants_or_many(cast, owner_api):
    rows = Rows(cast, approve=True)
    rows.add(FEW)
    few = costs(owner_api, urls(TOKENS))
    rows.add(MANY - FEW)
    assert costs(owner_api, urls(TOKENS)) == few


def test_the_lists_page_many_rows_with_a_link_header(cast, owner_api):
    Rows(cast, approve=False).add(MANY)
    first = owner_api.get(REQUESTS)
    assert len(first.json()) == 30
    assert 'rel="next"' in first["Link"]
    assert len(owner_api.get(REQUESTS, {"page": 2}).json()) == MANY - 30


def test_a_snapshots_repositories_cost_the_same_queries_for_few_or_many(cast, owner_api):
    repositories = [repository_create(owner=cast.acme, name=f"many{number}") for number in range(MANY)]
    few_token = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="selected", repositories=repositories[:FEW],
        permissions={"contents": "read"},
    ).token  # fmt: skip
    many_token = fine_grained_token(
        cast.emu_bob, resource_owner=cast.acme, repository_access="selected", repositories=repositories,
        permissions={"contents": "read"},
    ).token  # fmt: skip
    few_request, many_request = pending_request(few_token), pending_request(many_token)
    few_url, many_url = (f"{REQUESTS}/{request.pk}/repositories" for request in (few_request, many_request))
    few = queries_for(owner_api, few_url)
    assert queries_for(owner_api, many_url) == queries_for(owner_api, f"{many_url}?page=2") == few

    for request in (few_request, many_request):
        services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    few_url, many_url = (f"{TOKENS}/{grant_of(token).pk}/repositories" for token in (few_token, many_token))
    assert (
        queries_for(owner_api, many_url)
        == queries_for(owner_api, f"{many_url}?page=2")
        == queries_for(owner_api, few_url)
    )
    assert len(owner_api.get(many_url).json()) == 30
