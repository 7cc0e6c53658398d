"""POST /api/v1/tokens/rotate — rotation with the token itself, and reuse detection (behaviour §5.4)."""

import threading
from unittest.mock import patch

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from tests.conftest import OWNER_PERMISSIONS, api_for
from tests.factories import classic_token, fine_grained_token, grant_of
from tokens import services
from tokens.engine import usage
from tokens.models import FineGrainedToken, RetiredSecret

ROTATE = "/api/v1/tokens/rotate"
INTROSPECT = "/api/v1/introspect"


def rotate(secret, **kwargs):
    return api_for(secret).post(ROTATE, **kwargs)


def active(api, secret) -> bool:
    return api.post(INTROSPECT, {"token": secret}, format="json").json()["active"]


@pytest.fixture
def web_token(cast):
    """alice's approved token for acme/web, with a 30-day lifetime."""
    return fine_grained_token(
        cast.alice,
        resource_owner=cast.acme,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "write"},
        approved=True,
    )


def test_rotation_answers_a_new_secret_and_refuses_the_old_one_from_then_on(api, web_token):
    answer = rotate(web_token.plaintext)

    assert answer.status_code == 200
    body = answer.json()
    assert body["id"] == web_token.token.pk
    assert body["type"] == "fine_grained"
    assert body["token"].startswith("patrol_fg_") and body["token"] != web_token.plaintext
    assert active(api, body["token"])
    assert not active(api, web_token.plaintext)


def test_the_rotated_token_keeps_its_permissions_grant_and_lifetime(web_token):
    before = FineGrainedToken.objects.get(pk=web_token.token.pk)
    grant = grant_of(before)

    rotate(web_token.plaintext)

    after = FineGrainedToken.objects.get(pk=before.pk)
    assert (after.permissions, after.repository_access, list(after.repositories.all())) == (
        before.permissions,
        before.repository_access,
        list(before.repositories.all()),
    )
    assert grant_of(after) == grant and grant_of(after).revoked_at is None
    assert after.expires_at - after.issued_at == before.expires_at - before.issued_at
    assert after.issued_at > before.issued_at


def test_a_token_that_never_expires_still_never_expires(cast):
    issued = classic_token(cast.alice, scopes=["repo"], expires_in_days=None)

    body = rotate(issued.plaintext).json()

    assert (body["type"], body["expires_at"]) == ("classic", None)


def test_a_rotation_is_audited_with_the_holder_as_actor(web_token):
    rotate(web_token.plaintext)

    event = AuditEvent.objects.get(action="personal_access_token.rotated")
    assert (event.actor.username, event.token_id, event.organization.login) == ("alice", web_token.token.pk, "acme")


def test_a_token_is_rotated_again_and_again_with_each_new_secret(api, web_token):
    secret = web_token.plaintext
    for _ in range(3):
        secret = rotate(secret).json()["token"]

    assert active(api, secret)
    assert RetiredSecret.objects.filter(fine_grained_token=web_token.token).count() == 3


# --- Reuse detection ------------------------------------------------------------------


def test_rotating_with_an_old_secret_revokes_the_token_and_is_refused_as_unknown(api, web_token):
    new = rotate(web_token.plaintext).json()["token"]

    answer = rotate(web_token.plaintext)

    assert answer.status_code == 401
    assert answer.json()["detail"] == "Invalid token."
    assert not active(api, new)
    assert FineGrainedToken.objects.get(pk=web_token.token.pk).revoked_at is not None


def test_reuse_emails_the_holder_and_is_audited(web_token, django_capture_on_commit_callbacks):
    rotate(web_token.plaintext)

    with django_capture_on_commit_callbacks(execute=True):
        rotate(web_token.plaintext)

    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "revoked" in message.subject
    assert "rotated away from was used again" in message.body
    event = AuditEvent.objects.get(action="personal_access_token.revoked_as_leaked")
    assert (event.actor, event.token_id, event.data["why"]) == (None, web_token.token.pk, services.REUSED)


def test_the_oldest_secret_of_a_line_revokes_its_newest(api, web_token):
    second = rotate(web_token.plaintext).json()["token"]
    third = rotate(second).json()["token"]

    rotate(web_token.plaintext)

    assert not active(api, third)


def test_reuse_at_the_owner_api_revokes_the_token(cast, api):
    owner_token = fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS)
    new = rotate(owner_token.plaintext).json()["token"]

    answer = api_for(owner_token.plaintext).get("/api/v3/orgs/acme/personal-access-tokens")

    assert answer.status_code == 401
    assert not active(api, new)


CHECK = "/api/v1/access/check"


def test_reuse_at_a_gateways_check_revokes_the_token(api, web_token):
    new = rotate(web_token.plaintext).json()["token"]

    check = {"token": web_token.plaintext, "resource": "acme/web", "permission": "contents:read"}
    answer = api.post(CHECK, check, format="json")

    assert answer.json()["reason"] == "credential_invalid"  # refused as unknown, as before
    assert not active(api, new)


def test_reuse_at_introspection_revokes_the_token(api, web_token):
    new = rotate(web_token.plaintext).json()["token"]

    assert not active(api, web_token.plaintext)

    assert not active(api, new)


def test_with_the_facts_cache_reuse_at_a_check_is_caught_beside_it_not_in_it(settings, api, web_token):
    settings.PATROL_FACTS_CACHE = True
    settings.PATROL_LAST_USE_FLUSH_SECONDS = 1
    new = rotate(web_token.plaintext).json()["token"]
    body = {"token": web_token.plaintext, "resource": "acme/web", "permission": "contents:read"}

    with patch.object(usage, "_start_writer"), CaptureQueriesContext(connection) as check:
        assert api.post(CHECK, body, format="json").json()["reason"] == "credential_invalid"
    assert "tokens_retiredsecret" not in " ".join(query["sql"] for query in check)
    assert FineGrainedToken.objects.get(pk=web_token.token.pk).revoked_at is None

    usage.flush()  # the writer thread's round

    assert FineGrainedToken.objects.get(pk=web_token.token.pk).revoked_at is not None
    assert not active(api, new)


def test_made_up_secrets_at_a_check_revoke_nothing(api, web_token):
    made_up = classic_token(web_token.token.user).plaintext[:-6] + "AAAAAA"
    api.post(CHECK, {"token": made_up, "resource": "acme/web", "permission": "contents:read"}, format="json")

    assert FineGrainedToken.objects.get(pk=web_token.token.pk).revoked_at is None


def test_a_second_reuse_sends_no_second_email(web_token, django_capture_on_commit_callbacks):
    rotate(web_token.plaintext)
    with django_capture_on_commit_callbacks(execute=True):
        rotate(web_token.plaintext)
        rotate(web_token.plaintext)

    assert len(mail.outbox) == 1


def test_a_rotation_racing_another_with_the_same_secret_is_reuse(api, web_token):
    token = web_token.token
    services.token_rotate(token=token, presented=web_token.plaintext)  # the other rotation won the row lock

    with pytest.raises(services.SecretRetired):
        services.token_rotate(token=token, presented=web_token.plaintext)
    services.retired_secret_used(presented=web_token.plaintext)

    assert FineGrainedToken.objects.get(pk=token.pk).revoked_at is not None


# --- Refusals -------------------------------------------------------------------------


def test_without_a_token_rotation_is_refused(client):
    answer = client.post(ROTATE)
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == 'Bearer realm="patrol"'


@pytest.mark.parametrize("trait", ["revoked", "expired"])
def test_an_unusable_token_is_not_rotated(cast, trait):
    issued = classic_token(cast.alice, scopes=["repo"], **{trait: True})

    answer = rotate(issued.plaintext)

    assert answer.status_code == 401
    assert not RetiredSecret.objects.exists()


def test_a_suspended_holders_token_is_not_rotated(cast):
    issued = classic_token(cast.alice, scopes=["repo"])
    cast.alice.is_active = False
    cast.alice.save()

    assert rotate(issued.plaintext).status_code == 401


@pytest.mark.parametrize("secret", ["not-a-token", "patrol_fg_" + "a" * 38, "x" * 5000])
def test_a_made_up_secret_is_refused(db, secret):
    assert rotate(secret).status_code == 401


def test_an_api_client_secret_is_not_a_token_to_rotate(gateway):
    assert rotate(gateway).status_code == 401


def test_body_fields_are_refused_by_name_and_nothing_changes(api, web_token):
    answer = rotate(web_token.plaintext, data={"expires_in_days": 366}, format="json")

    assert answer.status_code == 400
    assert "expires_in_days" in answer.json()
    assert active(api, web_token.plaintext)


@pytest.mark.parametrize("body", ["[1, 2]", "0", '{"a": "\\u0000"}', "[" * 100 + "]" * 100, "not json"])
def test_hostile_bodies_are_refused_and_nothing_changes(api, web_token, body):
    answer = rotate(web_token.plaintext, data=body, content_type="application/json")

    assert answer.status_code == 400
    assert active(api, web_token.plaintext)


def test_a_token_revoked_while_its_rotation_waited_is_not_rotated(web_token):
    services.token_revoke(token=web_token.token)

    with pytest.raises(ValidationError) as caught:
        services.token_rotate(token=web_token.token, presented=web_token.plaintext)

    assert "token" in caught.value.message_dict
    assert not RetiredSecret.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_rotations_at_once_with_one_secret_rotate_once_and_revoke_the_token(cast):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    issued = classic_token(cast.alice, scopes=["repo"])
    start = threading.Barrier(2)
    statuses = []

    def run():
        try:
            client = api_for(issued.plaintext)
            start.wait(timeout=30)
            statuses.append(client.post(ROTATE).status_code)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200, 401]
    assert RetiredSecret.objects.count() == 1
    assert type(issued.token).objects.get(pk=issued.token.pk).revoked_at is not None
