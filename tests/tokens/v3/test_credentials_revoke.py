"""POST /api/v3/credentials/revoke — leaked credentials, reported without an account (behaviour §5.5).

Driven by githubkit's `rest.credentials.revoke` against a live server, and
attacked with hostile bodies through the test client.
"""

import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from githubkit import GitHub
from githubkit.exception import RequestFailed
from githubkit_schemas.latest.models import ValidationErrorSimple

from audit.models import AuditEvent
from tests.factories import api_client, classic_token, fine_grained_token
from tokens import services
from tokens.choices import CredentialType
from tokens.engine.credentials import generate
from tokens.models import ApiClient, ClassicToken

REVOKE = "/api/v3/credentials/revoke"


@pytest.fixture
def github(live_server):
    """A secret scanner: githubkit without any credentials of its own."""
    with GitHub(base_url=f"{live_server.url}/api/v3/") as client:
        yield client


def post(client, body, **extra):
    return client.post(REVOKE, json.dumps(body), content_type="application/json", **extra)


def revoked(issued) -> bool:
    return type(issued.token).objects.get(pk=issued.token.pk).revoked_at is not None


def made_up(count: int) -> list[str]:
    return [generate(CredentialType.FINE_GRAINED) for _ in range(count)]


# --- githubkit ------------------------------------------------------------------------


def test_githubkit_revokes_each_kind_of_patrol_token_it_reports(github, cast):
    fine = fine_grained_token(cast.alice)
    classic = classic_token(cast.alice, scopes=["repo"])

    response = github.rest.credentials.revoke(credentials=[fine.plaintext, classic.plaintext, "ghp_not_ours"])

    assert response.status_code == 202
    assert response.parsed_data.model_dump() == {}
    assert revoked(fine) and revoked(classic)


def test_githubkit_gets_the_same_answer_whatever_the_values(github, cast):
    real = fine_grained_token(cast.alice).plaintext

    answers = [
        github.rest.credentials.revoke(credentials=values)
        for values in ([real], made_up(3), ["", "anything at all"], [real])  # the last one: already revoked
    ]

    assert {(answer.status_code, answer.content) for answer in answers} == {(202, b"{}")}


def test_githubkit_reads_a_shape_error_as_githubs_validation_error(live_server, db):
    # githubkit refuses 1,001 itself unless told not to validate what it sends.
    with (
        GitHub(base_url=f"{live_server.url}/api/v3/", rest_api_validate_body=False) as github,
        pytest.raises(RequestFailed) as caught,
    ):
        github.rest.credentials.revoke(credentials=made_up(1001))
    assert caught.value.response.status_code == 422
    body = caught.value.response.parsed_data
    assert isinstance(body, ValidationErrorSimple)
    assert body.errors == ["credentials must be a list of 1 to 1,000 strings."]


# --- What a revoke does ---------------------------------------------------------------


def test_the_holder_is_emailed_and_the_revoke_audited(client, cast, django_capture_on_commit_callbacks):
    issued = classic_token(cast.alice, scopes=["repo"])

    with django_capture_on_commit_callbacks(execute=True):
        post(client, {"credentials": [issued.plaintext]})

    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "leaked" in message.subject
    assert "reported to Patrol as leaked" in message.body
    event = AuditEvent.objects.get(action="personal_access_token.revoked_as_leaked")
    assert (event.actor, event.token_id, event.token_type) == (None, issued.token.pk, "classic")
    assert event.data["why"] == services.REPORTED


def test_an_enterprise_api_clients_owners_are_emailed(client, cast, django_capture_on_commit_callbacks):
    issued = api_client("bigcorp-gateway", enterprise=cast.bigcorp)

    with django_capture_on_commit_callbacks(execute=True):
        post(client, {"credentials": [issued.plaintext]})

    assert ApiClient.objects.get(pk=issued.token.pk).revoked_at is not None
    (message,) = mail.outbox
    assert message.to == ["erin@example.com"]
    assert "bigcorp-gateway" in message.subject
    event = AuditEvent.objects.get(action="api_client.revoked")
    assert (event.enterprise_id, event.data["why"]) == (cast.bigcorp.pk, services.REPORTED)


def test_a_reported_secret_a_token_was_rotated_away_from_revokes_the_token(client, cast):
    issued = fine_grained_token(cast.alice)
    services.token_rotate(token=issued.token, presented=issued.plaintext)

    post(client, {"credentials": [issued.plaintext]})

    assert revoked(issued)


def test_reporting_a_revoked_token_again_changes_nothing_and_emails_no_one(
    client, cast, django_capture_on_commit_callbacks
):
    issued = fine_grained_token(cast.alice, revoked=True)

    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, {"credentials": [issued.plaintext, issued.plaintext]})

    assert answer.status_code == 202
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="personal_access_token.revoked_as_leaked").exists()


# --- Not an oracle ----------------------------------------------------------------------


def test_the_lookups_are_the_same_whatever_the_values(client, cast):
    revoked_token = fine_grained_token(cast.alice, revoked=True).plaintext
    bodies = [made_up(1000), ["x" * 1024] * 1000, [revoked_token] * 1000, [""] * 1000]
    counts = []
    for values in bodies:
        with CaptureQueriesContext(connection) as queries:
            post(client, {"credentials": values})
        counts.append(len(queries))

    assert len(set(counts)) == 1


def test_every_candidate_is_hashed_whatever_it_looks_like(client, db, monkeypatch):
    hashed = []
    original = services.credentials.candidate_digests
    monkeypatch.setattr(services.credentials, "candidate_digests", lambda text: hashed.append(text) or original(text))

    post(client, {"credentials": ["not a token", "patrol_fg_short", *made_up(1)]})

    assert len(hashed) == 3


# --- Hostile bodies: a 4xx naming the field, nothing revoked ----------------------------


@pytest.fixture
def victim(cast):
    return fine_grained_token(cast.alice)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"credentials": ["x"] * 1001}, "credentials must be a list of 1 to 1,000 strings."),
        ({"credentials": []}, "credentials must be a list of 1 to 1,000 strings."),
        ({"credentials": "patrol_fg_x"}, "credentials must be a list of 1 to 1,000 strings."),
        ({}, "credentials must be a list of 1 to 1,000 strings."),
        ([], "The body must be a JSON object with a credentials field."),
        ({"credentials": ["x" * 1025]}, "credentials[0] must be a string of at most 1,024 characters."),
        ({"credentials": ["ok", 7]}, "credentials[1] must be a string of at most 1,024 characters."),
        ({"credentials": ["ok", {"deep": ["x"]}]}, "credentials[1] must be a string of at most 1,024 characters."),
    ],
)
def test_a_body_of_the_wrong_shape_is_githubs_422(client, victim, body, error):
    if isinstance(body, dict) and body.get("credentials") and isinstance(body["credentials"], list):
        body = {"credentials": [*body["credentials"], victim.plaintext]}  # beside a real token: nothing revoked
    answer = post(client, body)

    assert answer.status_code == 422
    assert answer.json()["message"] == "Validation Failed"
    assert error in answer.json()["errors"]
    assert not revoked(victim)


def test_an_unknown_field_is_named(client, victim):
    answer = post(client, {"credentials": [victim.plaintext], "x" * 100: 1})

    assert answer.status_code == 422
    assert answer.json()["errors"] == [f"'{'x' * 40}…' is not a field of this request."]
    assert not revoked(victim)


def test_many_bad_entries_are_summed_up(client, db):
    answer = post(client, {"credentials": [None] * 1000})

    errors = answer.json()["errors"]
    assert len(errors) == 11
    assert errors[-1] == "990 more entries of credentials are not such strings."


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ('{"credentials": ["patrol\\u0000"]}', 400),
        ('{"credentials": ' + "[" * 40 + "]" * 40 + "}", 400),
        ('{"credentials": ["a"], "credentials": ["b"]}', 400),
        ("not json", 400),
        ('{"credentials": ["' + "x" * (2 * 1024 * 1024) + '"]}', 413),
    ],
    ids=["NUL", "deep nesting", "duplicate key", "not JSON", "huge body"],
)
def test_hostile_bodies_are_refused_before_anything_is_looked_up(client, victim, body, status):
    with CaptureQueriesContext(connection) as queries:
        answer = client.post(REVOKE, body, content_type="application/json")

    assert answer.status_code == status
    assert answer.json()["message"]
    assert queries.captured_queries == []
    assert not revoked(victim)


def test_a_form_body_is_refused(client, victim):
    answer = client.post(REVOKE, {"credentials": victim.plaintext})
    assert answer.status_code == 415
    assert not revoked(victim)


# --- Who may call it, and how often ---------------------------------------------------


def test_a_request_with_credentials_of_its_own_is_refused_as_on_github(client, victim):
    answer = post(client, {"credentials": [victim.plaintext]}, HTTP_AUTHORIZATION=f"Bearer {victim.plaintext}")

    assert answer.status_code == 403
    assert not revoked(victim)


def test_each_address_is_limited_per_hour(client, db, settings):
    settings.PATROL_CREDENTIALS_REVOKE_RATE_PER_HOUR = 2
    body = {"credentials": made_up(1)}
    statuses = [post(client, body, REMOTE_ADDR="203.0.113.7").status_code for _ in range(3)]
    elsewhere = post(client, body, REMOTE_ADDR="203.0.113.8")

    assert statuses == [202, 202, 429]
    assert elsewhere.status_code == 202


def test_a_limited_address_is_told_when_to_come_back_and_nothing_is_revoked(client, victim, settings):
    settings.PATROL_CREDENTIALS_REVOKE_RATE_PER_HOUR = 0

    answer = post(client, {"credentials": [victim.plaintext]})

    assert answer.status_code == 429
    assert 1 <= int(answer["Retry-After"]) <= 3600
    assert not revoked(victim)


def test_the_limit_follows_the_address_the_outermost_proxy_saw(client, db, settings):
    settings.PATROL_CREDENTIALS_REVOKE_RATE_PER_HOUR = 1
    settings.PATROL_PROXY_COUNT = 1
    body = {"credentials": made_up(1)}

    first = post(client, body, HTTP_X_FORWARDED_FOR="198.51.100.1")
    spoofed = post(client, body, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1")
    other = post(client, body, HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert (first.status_code, spoofed.status_code, other.status_code) == (202, 429, 202)


def test_the_tokens_of_other_people_in_other_tenants_are_revoked_too(client, cast):
    # A leak is a leak whoever reports it: holding the secret is the only proof asked.
    issued = classic_token(cast.mallory, scopes=["repo"])

    post(client, {"credentials": [issued.plaintext]})

    assert ClassicToken.objects.get(pk=issued.token.pk).revoked_at is not None
