"""What the schemathesis run found, kept as plain tests (issue 5)."""

import pytest
from django.test import Client

CHECK, BATCH, INTROSPECT = "/api/v1/access/check", "/api/v1/access/check-batch", "/api/v1/introspect"


@pytest.fixture
def served_schema(db):
    return Client().get("/api/schema/?format=json", HTTP_HOST="localhost").json()


@pytest.mark.parametrize("field", ["resource", "permission", "token"])
def test_a_null_check_field_is_a_400_naming_it(api, field):
    body = {"token": "patrol_fg_x", "resource": "acme/web", "permission": "contents:read", field: None}
    response = api.post(CHECK, body, format="json")
    assert response.status_code == 400
    assert response.json()[field] == ["Must be a string."]


def test_a_null_field_in_a_batch_is_a_400_naming_its_index(api):
    body = {"checks": [{"token": "patrol_fg_x", "resource": "acme/web", "permission": None}]}
    response = api.post(BATCH, body, format="json")
    assert response.status_code == 400
    assert response.json()["checks"]["0"]["permission"] == ["Must be a string."]


def test_a_blank_token_type_hint_is_ignored(api):
    response = api.post(INTROSPECT, {"token": "patrol_fg_x", "token_type_hint": ""}, format="json")
    assert response.status_code == 200
    assert response.json() == {"active": False}


def test_malformed_json_on_the_v3_api_is_a_documented_400(cast, owner_api, served_schema):
    response = owner_api.post("/api/v3/orgs/acme/personal-access-tokens", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "400" in served_schema["paths"]["/api/v3/orgs/{org}/personal-access-tokens"]["post"]["responses"]


def test_each_choice_field_documents_its_own_choices(served_schema):
    """An annotation once put on DRF's ChoiceField class made every enum in the schema ["revoke"]."""
    components = served_schema["components"]["schemas"]
    assert components["ReviewAction"]["enum"] == ["approve", "deny"]
    assert components["RevokeAction"]["enum"] == ["revoke"]
    assert "credential_invalid" in components["ReasonEnum"]["enum"]


def test_the_check_body_schema_says_exactly_one_credential_and_no_other_fields(served_schema):
    check = served_schema["components"]["schemas"]["CheckInput"]
    assert check["oneOf"] == [{"required": ["token"]}, {"required": ["ssh_key_fingerprint"]}]
    assert check["additionalProperties"] is False
    assert "contents:write" in served_schema["components"]["schemas"]["PermissionEnum"]["enum"]


def test_the_v3_lists_document_their_query_parameters(served_schema):
    parameters = served_schema["paths"]["/api/v3/orgs/{org}/personal-access-tokens"]["get"]["parameters"]
    assert {"per_page", "page", "owner", "repository", "permission", "token_id"} <= {p["name"] for p in parameters}
