"""Names, titles and reasons are plain text on every path: services, models, site forms, v3, load_scenario.

Each refusal names the field and changes nothing (issue 16, point 4).
"""

import json

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from audit.models import AuditEvent
from enterprises.services import enterprise_create
from organizations.services import organization_create
from tests.factories import classic_token, fine_grained_token, pending_request
from tests.tokens.commands.helpers import FINGERPRINT, counts, spec_example
from tokens import services
from tokens.models import AccessRequest, ClassicToken, FineGrainedToken, SSHKey
from tokens.scenario import ScenarioError, load_scenario

pytestmark = pytest.mark.django_db

HEADER_INJECTION = "deploy\nBcc: x@y"
ESCAPE = "ok\x1b[2J"  # a terminal escape: refused in multi-line text too
OWNER_PERMISSIONS = {"organization_personal_access_token_requests": "write"}


def acme_request(cast) -> AccessRequest:
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}).token
    return pending_request(token)


# --- Services, called directly ---------------------------------------------------------

SERVICE_CALLS = {
    "fine-grained name": (
        "name",
        lambda cast: services.fine_grained_token_create(user=cast.alice, name=HEADER_INJECTION),
    ),
    "fine-grained justification": (
        "justification",
        lambda cast: services.fine_grained_token_create(
            user=cast.alice, name="deploy", resource_owner=cast.acme, justification=ESCAPE
        ),
    ),
    "fine-grained description": (
        "description",
        lambda cast: services.fine_grained_token_create(user=cast.alice, name="deploy", description=ESCAPE),
    ),
    "classic note": ("note", lambda cast: services.classic_token_create(user=cast.alice, note=HEADER_INJECTION)),
    "SSH key title": (
        "title",
        lambda cast: services.ssh_key_create(user=cast.alice, title="laptop\u202e", fingerprint=FINGERPRINT),
    ),
    "API client name": ("name", lambda cast: services.api_client_create(name="gateway\r\nX-Evil: 1")),
    "organization name": (
        "name",
        lambda cast: organization_create(login="initech", name=HEADER_INJECTION, actor=cast.olga),
    ),
    "enterprise name": ("name", lambda cast: enterprise_create(slug="initech", name="Initech\tInc")),
}


@pytest.mark.parametrize("call", SERVICE_CALLS.values(), ids=SERVICE_CALLS.keys())
def test_a_service_refuses_control_characters_naming_the_field_and_changing_nothing(cast, call):
    field, make = call
    before = counts_with_audit()
    with pytest.raises(ValidationError) as caught:
        make(cast)
    assert list(caught.value.message_dict) == [field]
    assert "plain text" in caught.value.message_dict[field][0]
    assert counts_with_audit() == before


def counts_with_audit() -> dict:
    return {**counts(), "events": AuditEvent.objects.count()}


def test_renaming_a_token_refuses_a_line_break_and_keeps_the_old_name(cast):
    token = fine_grained_token(cast.alice, name="deploy").token
    with pytest.raises(ValidationError) as caught:
        services.fine_grained_token_update(token=token, actor=cast.alice, name=HEADER_INJECTION)
    assert list(caught.value.message_dict) == ["name"]
    token.refresh_from_db()
    assert token.name == "deploy"


@pytest.mark.parametrize("many", [False, True], ids=["one", "bulk"])
def test_a_review_refuses_a_reason_with_control_characters_and_leaves_the_request_pending(cast, many):
    request = acme_request(cast)
    with pytest.raises(ValidationError) as caught:
        if many:
            services.access_requests_review_many(
                organization=cast.acme, ids=[request.pk], reviewer=cast.olga, approve=False, reason=ESCAPE
            )
        else:
            services.access_request_review(request=request, reviewer=cast.olga, approve=False, reason=ESCAPE)
    assert list(caught.value.message_dict) == ["reason"]
    request.refresh_from_db()
    assert (request.status, request.reason) == ("pending", "")


def test_a_reason_keeps_its_line_breaks(cast):
    request = acme_request(cast)
    reason = "Too broad.\r\nAsk again."
    services.access_request_review(request=request, reviewer=cast.olga, approve=False, reason=reason)
    request.refresh_from_db()
    assert request.reason == reason


# --- Model fields (the admin's forms and anything that calls full_clean) -----------------

MODEL_FIELDS = {
    "fine-grained name": (lambda cast: fine_grained_token(cast.alice).token, "name", HEADER_INJECTION),
    "fine-grained description": (lambda cast: fine_grained_token(cast.alice).token, "description", ESCAPE),
    "classic note": (lambda cast: classic_token(cast.alice).token, "note", HEADER_INJECTION),
    "justification": (acme_request, "justification", ESCAPE),
    "reason": (acme_request, "reason", ESCAPE),
    "API client name": (lambda cast: services.api_client_create(name="gateway").token, "name", "gate\x00way"),
    "organization name": (lambda cast: cast.acme, "name", HEADER_INJECTION),
    "organization login": (lambda cast: cast.acme, "login", "acme\n"),
    "enterprise name": (lambda cast: cast.bigcorp, "name", "Big\u2028Corp"),
    "repository name": (lambda cast: cast.web, "name", "web\n"),
}


@pytest.mark.parametrize("case", MODEL_FIELDS.values(), ids=MODEL_FIELDS.keys())
def test_a_model_field_refuses_control_characters(cast, case):
    make, field, value = case
    instance = make(cast)
    setattr(instance, field, value)
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    assert field in caught.value.message_dict


def test_an_ssh_key_title_refuses_a_line_break(cast):
    key = services.ssh_key_create(user=cast.alice, title="laptop", fingerprint=FINGERPRINT)
    key.title = "laptop\nBcc: x@y"
    with pytest.raises(ValidationError) as caught:
        key.full_clean()
    assert list(caught.value.message_dict) == ["title"]
    assert SSHKey.objects.get().title == "laptop"


# --- Site forms ---------------------------------------------------------------------------


def test_the_new_token_form_names_the_field_and_creates_nothing(client, cast):
    client.force_login(cast.alice)
    data = {
        "name": HEADER_INJECTION,
        "resource_owner": "alice",
        "repository_access": "public",
        "expiration": "30",
    }
    response = client.post("/settings/tokens/new/", data)
    assert response.status_code == 200
    assert "one line of plain text" in response.context["form"].errors["name"][0]
    assert not FineGrainedToken.objects.exists()


def test_the_classic_token_form_names_the_note(client, cast):
    client.force_login(cast.alice)
    response = client.post("/settings/tokens/new-classic/", {"note": "ci\u202egnp", "expiration": "30"})
    assert response.status_code == 200
    assert "bidirectional" in response.context["form"].errors["note"][0]
    assert not ClassicToken.objects.exists()


def test_the_review_form_names_the_reason_and_leaves_the_request_pending(client, cast):
    request = acme_request(cast)
    client.force_login(cast.olga)
    response = client.post(
        "/orgs/acme/settings/personal-access-tokens/requests/",
        {"request_ids": [request.pk], "action": "deny", "reason": ESCAPE},
    )
    assert "plain text" in response.context["form"].errors["reason"][0]
    request.refresh_from_db()
    assert request.status == "pending"


# --- The v3 API ---------------------------------------------------------------------------


def v3_deny(cast, request, reason, *, bulk):
    api = APIClient()
    owner_token = fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS).plaintext
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {owner_token}")
    url = "/api/v3/orgs/acme/personal-access-token-requests"
    body = {"action": "deny", "reason": reason}
    if bulk:
        body = {**body, "pat_request_ids": [request.pk]}
    else:
        url = f"{url}/{request.pk}"
    # json.dumps writes a lone surrogate as its \u escape, as a hostile client would send it.
    return api.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("bulk", [False, True], ids=["one", "bulk"])
def test_a_v3_deny_reason_with_a_lone_surrogate_is_refused_by_the_parser_naming_it(cast, bulk):
    request = acme_request(cast)
    response = v3_deny(cast, request, "\ud800", bulk=bulk)
    assert response.status_code == 400
    assert "reason" in response.json()["message"]
    request.refresh_from_db()
    assert request.status == "pending"


@pytest.mark.parametrize("bulk", [False, True], ids=["one", "bulk"])
def test_a_v3_deny_reason_with_control_characters_is_422_naming_it(cast, bulk):
    request = acme_request(cast)
    response = v3_deny(cast, request, ESCAPE, bulk=bulk)
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"reason"}
    request.refresh_from_db()
    assert request.status == "pending"


# --- load_scenario --------------------------------------------------------------------------


def test_load_scenario_names_the_entry_and_field_and_writes_nothing(db):
    scenario = spec_example()
    scenario["tokens"][0]["name"] = HEADER_INJECTION
    scenario["reviews"], scenario["revocations"] = [], []  # they name the token by its old name
    before = counts()
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario)
    assert str(caught.value).startswith('tokens[0] ("deploy\\nBcc: x@y"): name: Remove the line break U+000A')
    assert counts() == before
