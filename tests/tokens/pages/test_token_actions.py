"""Edit, regenerate, delete and cancel — only by the token's holder (behaviour §5.2)."""

import pytest

from tests.factories import classic_token, fine_grained_token, grant_of, pending_request
from tests.tokens.pages.conftest import plaintext_in
from tokens.engine.access import check
from tokens.engine.facts import CheckInput, parse_resource
from tokens.models import AccessRequest, ClassicToken, FineGrainedToken


@pytest.fixture
def approved(cast):
    return fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}, approved=True
    )


def edit_post(**overrides):
    data = {"name": "renamed", "description": "", "repository_access": "all", "permission_contents": "read"}
    data.update(overrides)
    return data


def test_editing_to_ask_for_more_opens_a_request_while_the_old_grant_keeps_working(as_user, cast, approved):
    url = f"/settings/tokens/fine-grained/{approved.token.pk}/edit/"
    as_user(cast.alice).post(url, edit_post(permission_issues="read", justification="triage"))
    assert pending_request(approved.token).justification == "triage"
    contents = check(CheckInput(parse_resource("acme/web"), "contents", "read", token=approved.plaintext))
    issues = check(CheckInput(parse_resource("acme/web"), "issues", "read", token=approved.plaintext))
    assert contents.decision.allowed
    assert issues.decision.reason == "approval_pending"


def test_editing_within_the_grant_opens_no_request(as_user, cast, approved):
    as_user(cast.alice).post(f"/settings/tokens/fine-grained/{approved.token.pk}/edit/", edit_post())
    assert FineGrainedToken.objects.get(pk=approved.token.pk).name == "renamed"
    assert not AccessRequest.objects.filter(status="pending").exists()


def test_regenerating_shows_a_new_plaintext_and_the_old_stops_working(as_user, cast, approved):
    response = as_user(cast.alice).post(
        f"/settings/tokens/fine-grained/{approved.token.pk}/regenerate/", {"expiration": "30"}
    )
    fresh = plaintext_in(response)
    assert fresh and fresh != approved.plaintext
    old = check(CheckInput(parse_resource("acme/web"), "contents", "read", token=approved.plaintext))
    new = check(CheckInput(parse_resource("acme/web"), "contents", "read", token=fresh))
    assert old.decision.reason == "credential_invalid"
    assert new.decision.allowed


def test_regenerating_keeps_the_grant(as_user, cast, approved):
    as_user(cast.alice).post(f"/settings/tokens/fine-grained/{approved.token.pk}/regenerate/", {"expiration": "7"})
    assert grant_of(approved.token).revoked_at is None


def test_deleting_removes_the_token(as_user, cast):
    token = classic_token(cast.alice).token
    response = as_user(cast.alice).post(f"/settings/tokens/classic/{token.pk}/delete/")
    assert response.status_code == 302
    assert not ClassicToken.objects.filter(pk=token.pk).exists()


def test_cancelling_a_pending_request(as_user, cast):
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}).token
    request = pending_request(token)
    as_user(cast.alice).post(f"/settings/tokens/fine-grained/{token.pk}/requests/{request.pk}/cancel/")
    request.refresh_from_db()
    assert request.status == "cancelled"


def test_the_detail_page_shows_the_tokens_audit_history_in_words(as_user, cast, approved):
    page = as_user(cast.alice).get(f"/settings/tokens/fine-grained/{approved.token.pk}/").content.decode()
    assert "Token created" in page
    assert "Token request created" in page
    assert "Token access granted" in page
    assert "personal_access_token." not in page


@pytest.mark.parametrize(
    "path",
    [
        "/settings/tokens/fine-grained/{pk}/",
        "/settings/tokens/fine-grained/{pk}/edit/",
        "/settings/tokens/fine-grained/{pk}/regenerate/",
        "/settings/tokens/fine-grained/{pk}/delete/",
    ],
)
def test_another_users_token_is_a_404(as_user, cast, approved, path):
    client = as_user(cast.mallory)
    assert client.get(path.format(pk=approved.token.pk)).status_code == 404
    assert client.post(path.format(pk=approved.token.pk), {"expiration": "7"}).status_code == 404


def test_another_users_classic_token_cannot_be_deleted(as_user, cast):
    token = classic_token(cast.alice).token
    assert as_user(cast.olga).post(f"/settings/tokens/classic/{token.pk}/delete/").status_code == 404
    assert ClassicToken.objects.filter(pk=token.pk).exists()


def test_another_users_request_cannot_be_cancelled(as_user, cast):
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}).token
    request = pending_request(token)
    response = as_user(cast.emu_bob).post(f"/settings/tokens/fine-grained/{token.pk}/requests/{request.pk}/cancel/")
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == "pending"


def test_an_unknown_token_type_is_a_404(as_user, cast):
    assert as_user(cast.alice).get("/settings/tokens/ssh/1/delete/").status_code == 404
