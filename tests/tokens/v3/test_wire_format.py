"""GitHub's wire format: media types, API versions, and bodies checked against githubkit's models.

githubkit's pydantic models are generated from GitHub's published OpenAPI
description. Here each body is validated strictly (no type coercion) and must
carry no field the schema does not name.
"""

import json

import pytest
from githubkit_schemas.latest.models import (
    BasicError,
    MinimalRepository,
    OrganizationProgrammaticAccessGrant,
    OrganizationProgrammaticAccessGrantRequest,
    SimpleUser,
    ValidationError,
    ValidationErrorPropErrorsItems,
)

from tests.conftest import request_for
from tests.factories import grant_of
from tokens import services

REQUESTS = "/api/v3/orgs/acme/personal-access-token-requests"
TOKENS = "/api/v3/orgs/acme/personal-access-tokens"


def assert_github_shape(model, body: dict):
    model.model_validate_json(json.dumps(body), strict=True)
    names = {field.alias or name for name, field in model.model_fields.items()}
    assert set(body) <= names, f"not in GitHub's {model.__name__}: {sorted(set(body) - names)}"


@pytest.fixture
def grant(cast):
    request = request_for(cast.alice, cast, repository_access="selected", repositories=[cast.web])
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    return grant_of(request.token)


# --- Media types ------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.github+json",
        "application/vnd.github.v3+json",
        "application/json",
        "*/*",
        "text/html, application/xhtml+xml, */*;q=0.8",
        None,
    ],
)
def test_githubs_media_types_are_answered_with_json(owner_api, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = owner_api.get(REQUESTS, **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_an_accept_without_json_is_githubs_415(owner_api):
    response = owner_api.get(REQUESTS, HTTP_ACCEPT="application/xml")
    assert response.status_code == 415
    assert response.json() == {
        "message": "Unsupported 'Accept' header: 'application/xml'. Must accept 'application/json'.",
        "documentation_url": "https://docs.github.com/v3/media",
        "status": "415",
    }


def test_json_refused_with_q_0_is_415(owner_api):
    assert owner_api.get(REQUESTS, HTTP_ACCEPT="application/json;q=0").status_code == 415


# --- API versions -----------------------------------------------------------------


@pytest.mark.parametrize("version", ["2022-11-28", "2026-03-10"])
def test_githubs_dated_versions_are_accepted(owner_api, version):
    response = owner_api.get(REQUESTS, HTTP_X_GITHUB_API_VERSION=version)
    assert response.status_code == 200
    assert response["X-GitHub-Api-Version-Selected"] == version


def test_without_a_version_githubs_default_is_selected(owner_api):
    assert owner_api.get(REQUESTS)["X-GitHub-Api-Version-Selected"] == "2022-11-28"


def test_an_unknown_version_is_githubs_400(owner_api):
    response = owner_api.get(REQUESTS, HTTP_X_GITHUB_API_VERSION="2023-01-01")
    assert response.status_code == 400
    assert response.json() == {
        "message": "Bad Request",
        "errors": (
            'The version you specified in the "X-GitHub-API-Version" request header, "2023-01-01", is not a'
            ' supported version. The following versions are currently supported: "2026-03-10" (most recent)'
            ' and "2022-11-28".'
        ),
        "documentation_url": "https://docs.github.com/rest",
        "status": "400",
    }


def test_an_unknown_version_is_refused_on_writes_too(owner_api, grant):
    body = {"action": "revoke"}
    response = owner_api.post(f"{TOKENS}/{grant.pk}", body, format="json", HTTP_X_GITHUB_API_VERSION="v3")
    assert response.status_code == 400
    grant.refresh_from_db()
    assert grant.revoked_at is None


# --- Bodies, against GitHub's schemas ---------------------------------------------------


def test_a_request_is_githubs_grant_request(owner_api, cast):
    request_for(cast.alice, cast, justification="")
    (item,) = owner_api.get(REQUESTS).json()
    assert_github_shape(OrganizationProgrammaticAccessGrantRequest, item)
    assert item["reason"] is None


def test_a_grant_is_githubs_grant(owner_api, grant):
    item = next(item for item in owner_api.get(TOKENS).json() if item["id"] == grant.pk)
    assert_github_shape(OrganizationProgrammaticAccessGrant, item)


def test_an_owner_is_githubs_simple_user_with_links_on_this_site(owner_api, cast):
    request_for(cast.alice, cast)
    (item,) = owner_api.get(REQUESTS).json()
    assert_github_shape(SimpleUser, item["owner"])
    assert item["owner"]["url"] == "http://testserver/api/v3/users/alice"
    assert item["owner"]["following_url"] == "http://testserver/api/v3/users/alice/following{/other_user}"
    assert item["owner"]["html_url"] == "http://testserver/alice"


def test_a_repository_is_githubs_minimal_repository_owned_by_a_simple_user(owner_api, grant):
    (repository,) = owner_api.get(f"{TOKENS}/{grant.pk}/repositories").json()
    assert_github_shape(MinimalRepository, repository)
    assert_github_shape(SimpleUser, repository["owner"])
    assert (repository["owner"]["type"], repository["description"], repository["fork"]) == ("Organization", None, False)
    assert repository["html_url"] == "http://testserver/acme/web"
    assert repository["compare_url"] == "http://testserver/api/v3/repos/acme/web/compare/{base}...{head}"


def test_times_are_githubs_utc_seconds(owner_api, cast):
    request = request_for(cast.alice, cast)
    (item,) = owner_api.get(REQUESTS).json()
    assert item["created_at"] == request.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_404_is_githubs_basic_error(owner_api):
    response = owner_api.get("/api/v3/orgs/nosuchorg/personal-access-tokens")
    assert_github_shape(BasicError, response.json())


def test_a_422_is_githubs_validation_error(owner_api):
    response = owner_api.get(REQUESTS, {"per_page": 101})
    assert response.status_code == 422
    assert_github_shape(ValidationError, response.json())
    for item in response.json()["errors"]:
        assert_github_shape(ValidationErrorPropErrorsItems, item)


@pytest.mark.parametrize("segment", ["null,null", "1.5", "-1", "١٢"])
def test_an_id_that_is_not_a_number_is_githubs_json_404(owner_api, segment):
    response = owner_api.get(f"{TOKENS}/{segment}/repositories")
    assert response.status_code == 404
    assert_github_shape(BasicError, response.json())
