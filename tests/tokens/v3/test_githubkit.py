"""The eight operations driven by githubkit, GitHub's typed client, against a live server.

githubkit runs with its default headers (``Accept: application/vnd.github+json``
and its ``X-GitHub-Api-Version``) and validates every answer with the pydantic
models it generates from GitHub's published OpenAPI description: reading
``parsed_data`` is that validation, so each test reads it.
"""

from datetime import UTC, datetime, timedelta

import pytest
from githubkit import GitHub, TokenAuthStrategy
from githubkit.exception import RequestFailed
from githubkit_schemas.core import LATEST_VERSION
from githubkit_schemas.latest.models import (
    BasicError,
    MinimalRepository,
    OrganizationProgrammaticAccessGrant,
    OrganizationProgrammaticAccessGrantRequest,
    ValidationError,
)

from tests.conftest import OWNER_PERMISSIONS, request_for
from tests.factories import classic_token, fine_grained_token, grant_of
from tokens import services
from tokens.models import AccessRequest, Grant


@pytest.fixture
def github(cast, live_server):
    """olga's own token for acme, in githubkit as its documentation sets it up."""
    token = fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS).plaintext
    with GitHub(TokenAuthStrategy(token), base_url=f"{live_server.url}/api/v3/") as client:
        yield client


def approved(cast, **kwargs) -> Grant:
    request = request_for(cast.alice, cast, **kwargs)
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    return grant_of(request.token)


def request_ids(github, **filters) -> list[int]:
    return [item.id for item in github.rest.orgs.list_pat_grant_requests("acme", **filters).parsed_data]


def grant_ids(github, **filters) -> list[int]:
    return [item.id for item in github.rest.orgs.list_pat_grants("acme", **filters).parsed_data]


def failure(call) -> RequestFailed:
    with pytest.raises(RequestFailed) as caught:
        call()
    return caught.value


# --- Reads, with the paginator --------------------------------------------------


def test_githubkit_sends_githubs_headers_and_gets_json(github):
    response = github.rest.orgs.list_pat_grant_requests("acme")
    assert response.raw_request.headers["Accept"] == "application/vnd.github+json"
    assert response.raw_request.headers["X-GitHub-Api-Version"] == LATEST_VERSION
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.parsed_data == []


def test_the_paginator_reads_every_request_over_several_pages(github, cast):
    ids = {request_for(cast.alice, cast).pk for _ in range(5)}
    pages = github.rest.paginate(github.rest.orgs.list_pat_grant_requests, org="acme", per_page=2)
    items = list(pages)
    assert all(isinstance(item, OrganizationProgrammaticAccessGrantRequest) for item in items)
    assert {item.id for item in items} == ids
    assert len(items) == 5


@pytest.mark.filterwarnings("ignore:Legacy pagination:DeprecationWarning")
def test_the_legacy_page_paginator_reads_every_grant(github, cast):
    ids = {approved(cast).pk for _ in range(3)}
    items = list(github.paginate(github.rest.orgs.list_pat_grants, per_page=2, org="acme", owner=["alice"]))
    assert all(isinstance(item, OrganizationProgrammaticAccessGrant) for item in items)
    assert {item.id for item in items} == ids


def test_a_request_reads_as_githubs_grant_request(github, cast):
    request = request_for(
        cast.alice, cast, repository_access="selected", repositories=[cast.web], justification="deploys"
    )
    (item,) = github.rest.orgs.list_pat_grant_requests("acme").parsed_data
    assert (item.id, item.reason, item.repository_selection) == (request.pk, "deploys", "subset")
    assert item.owner.login == "alice"
    assert item.owner.followers_url.endswith("/api/v3/users/alice/followers")
    assert item.permissions.repository.model_extra == {"contents": "read"}


def test_a_grant_reads_as_githubs_grant(github, cast):
    grant = approved(cast)
    (item,) = github.rest.orgs.list_pat_grants("acme", owner=["alice"]).parsed_data
    assert (item.id, item.token_id, item.repository_selection) == (grant.pk, grant.token_id, "all")
    assert item.token_last_used_at is None
    assert item.owner.received_events_url.endswith("/api/v3/users/alice/received_events")


def test_the_repositories_of_a_request_read_as_minimal_repositories_over_pages(github, cast, live_server):
    request = request_for(cast.alice, cast, repository_access="selected", repositories=[cast.web, cast.docs])
    pages = github.rest.paginate(
        github.rest.orgs.list_pat_grant_request_repositories, org="acme", pat_request_id=request.pk, per_page=1
    )
    repositories = list(pages)
    assert all(isinstance(repository, MinimalRepository) for repository in repositories)
    assert [(r.full_name, r.private, r.fork, r.description) for r in repositories] == [
        ("acme/docs", False, False, None),
        ("acme/web", True, False, None),
    ]
    assert repositories[0].owner.login == "acme"
    assert repositories[0].owner.type == "Organization"
    assert repositories[0].html_url == f"{live_server.url}/acme/docs"


def test_the_repositories_of_a_grant_read_as_minimal_repositories(github, cast):
    grant = approved(cast, repository_access="selected", repositories=[cast.web])
    response = github.rest.orgs.list_pat_grant_repositories("acme", grant.pk)
    (repository,) = response.parsed_data
    assert repository.full_name == "acme/web"
    assert repository.issues_url.endswith("/api/v3/repos/acme/web/issues{/number}")


# --- Filters ----------------------------------------------------------------------


def test_the_owner_filter_names_requesters(github, cast):
    request_for(cast.alice, cast)
    bobs = request_for(cast.emu_bob, cast)
    assert request_ids(github, owner=["emu_bob"]) == [bobs.pk]


def test_the_repository_filter_names_a_selected_repository(github, cast):
    web = request_for(cast.alice, cast, repository_access="selected", repositories=[cast.web])
    request_for(cast.alice, cast, repository_access="selected", repositories=[cast.docs])
    assert request_ids(github, repository="web") == [web.pk]


def test_the_permission_filter_names_a_permission_and_level(github, cast):
    request_for(cast.alice, cast, permissions={"contents": "read"})
    issues = request_for(cast.alice, cast, permissions={"issues": "read"})
    assert request_ids(github, permission="issues_read") == [issues.pk]


def test_the_token_id_filter_names_tokens(github, cast):
    first, second, _ = (request_for(cast.alice, cast) for _ in range(3))
    assert set(request_ids(github, token_id=[str(first.token_id), str(second.token_id)])) == {first.pk, second.pk}


def test_sort_and_direction_order_by_creation(github, cast):
    first, second = request_for(cast.alice, cast), request_for(cast.alice, cast)
    assert request_ids(github, sort="created_at", direction="asc") == [first.pk, second.pk]
    assert request_ids(github, sort="created_at", direction="desc") == [second.pk, first.pk]


def test_last_used_filters_split_grants_at_a_time(github, cast):
    used, unused = approved(cast), approved(cast)
    type(used.token).objects.filter(pk=used.token_id).update(last_used_at=datetime(2026, 1, 2, tzinfo=UTC))
    cutoff = datetime(2026, 1, 1, tzinfo=UTC)
    assert grant_ids(github, owner=["alice"], last_used_after=cutoff) == [used.pk]
    assert grant_ids(github, owner=["alice"], last_used_before=cutoff + timedelta(days=2)) == [used.pk]
    assert unused.pk in grant_ids(github, owner=["alice"])


# --- Writes -----------------------------------------------------------------------


def test_reviewing_one_request_approves_it(github, cast):
    request = request_for(cast.alice, cast)
    response = github.rest.orgs.review_pat_grant_request("acme", request.pk, action="approve")
    assert response.status_code == 204
    request.refresh_from_db()
    assert request.status == "approved"


def test_reviewing_in_bulk_denies_each_with_the_reason(github, cast):
    requests = [request_for(cast.alice, cast) for _ in range(2)]
    response = github.rest.orgs.review_pat_grant_requests_in_bulk(
        "acme", pat_request_ids=[r.pk for r in requests], action="deny", reason="not now"
    )
    assert response.status_code == 202
    assert response.parsed_data.model_dump() == {}
    assert set(AccessRequest.objects.filter(pk__in=[r.pk for r in requests]).values_list("status", "reason")) == {
        ("denied", "not now")
    }


def test_revoking_one_grant_revokes_it(github, cast):
    grant = approved(cast)
    assert github.rest.orgs.update_pat_access("acme", grant.pk, action="revoke").status_code == 204
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_revoking_in_bulk_revokes_each(github, cast):
    grants = [approved(cast) for _ in range(2)]
    response = github.rest.orgs.update_pat_accesses("acme", pat_ids=[g.pk for g in grants], action="revoke")
    assert response.status_code == 202
    assert response.parsed_data.model_dump() == {}
    assert not Grant.objects.filter(pk__in=[g.pk for g in grants], revoked_at=None).exists()


# --- Errors, as githubkit's exceptions ----------------------------------------------


def test_an_unknown_organization_fails_with_githubs_404(github):
    error = failure(lambda: github.rest.orgs.list_pat_grants("nosuchorg"))
    assert error.response.status_code == 404
    body = error.response.parsed_data
    assert isinstance(body, BasicError)
    assert body.message == "Not Found"


def test_an_unknown_request_fails_with_githubs_404(github):
    error = failure(lambda: github.rest.orgs.review_pat_grant_request("acme", 999999, action="approve"))
    assert error.response.status_code == 404
    assert error.response.parsed_data.message == "Not Found"


def test_an_invalid_body_fails_with_githubs_422_naming_the_field(github, cast):
    grant = approved(cast)
    github.rest.orgs.update_pat_access("acme", grant.pk, action="revoke")
    error = failure(lambda: github.rest.orgs.update_pat_access("acme", grant.pk, action="revoke"))
    assert error.response.status_code == 422
    body = error.response.parsed_data
    assert isinstance(body, ValidationError)
    assert [item.field for item in body.errors] == ["pat_id"]


def test_a_token_without_the_permission_fails_with_githubs_403(cast, live_server):
    token = fine_grained_token(
        cast.olga, resource_owner=cast.acme, permissions={"organization_personal_access_tokens": "read"}
    ).plaintext
    with GitHub(TokenAuthStrategy(token), base_url=f"{live_server.url}/api/v3/") as github:
        error = failure(lambda: github.rest.orgs.list_pat_grant_requests("acme"))
    assert error.response.status_code == 403
    assert "organization_personal_access_token_requests:read" in error.response.parsed_data.message


def test_a_bulk_review_naming_an_unknown_request_fails_with_githubs_422_and_changes_nothing(github, cast):
    request = request_for(cast.alice, cast)
    error = failure(
        lambda: github.rest.orgs.review_pat_grant_requests_in_bulk(
            "acme", pat_request_ids=[request.pk, 999999], action="approve"
        )
    )
    assert error.response.status_code == 422
    assert [item.field for item in error.response.parsed_data.errors] == ["pat_request_ids"]
    request.refresh_from_db()
    assert request.status == "pending"


# --- The token's expiry, in GitHub's header ----------------------------------------

EXPIRATION = "GitHub-Authentication-Token-Expiration"


def githubs_format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def client_with(live_server, token) -> GitHub:
    return GitHub(TokenAuthStrategy(token), base_url=f"{live_server.url}/api/v3/")


def test_an_expiring_tokens_answers_carry_its_expiry_in_githubs_words(cast, live_server):
    issued = fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS)
    with client_with(live_server, issued.plaintext) as github:
        response = github.rest.orgs.list_pat_grants("acme")
    assert response.headers[EXPIRATION] == githubs_format(issued.token.expires_at)


def test_a_refusal_to_an_expiring_token_carries_its_expiry_too(cast, live_server):
    issued = classic_token(cast.alice, scopes=["admin:org"], expires_in_days=7)
    with client_with(live_server, issued.plaintext) as github:
        error = failure(lambda: github.rest.orgs.list_pat_grants("acme"))
    assert error.response.status_code == 403
    assert error.response.headers[EXPIRATION] == githubs_format(issued.token.expires_at)


def test_a_token_that_never_expires_gets_no_expiry_header(cast, live_server):
    issued = classic_token(cast.olga, scopes=["admin:org"], expires_in_days=None)
    with client_with(live_server, issued.plaintext) as github:
        response = github.rest.orgs.list_pat_grants("acme")
    assert EXPIRATION not in response.headers
