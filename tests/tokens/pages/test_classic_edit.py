"""Editing a classic token: its note and scopes, the hierarchy as GitHub reads it."""

from audit.models import AuditEvent
from tests.factories import classic_token
from tokens.models import ClassicToken


def edit_url(token):
    return f"/settings/tokens/classic/{token.pk}/edit/"


def test_the_holder_changes_note_and_scopes(as_user, cast):
    token = classic_token(cast.alice, note="laptop", scopes=["read:org"]).token
    response = as_user(cast.alice).post(edit_url(token), {"note": "desktop", "scopes": ["repo", "gist"]})
    assert response.status_code == 302
    assert response["Location"] == f"/settings/tokens/classic/{token.pk}/"
    token.refresh_from_db()
    assert (token.note, token.scopes) == ("desktop", ["gist", "repo"])


def test_a_ticked_parent_includes_its_children_without_javascript(as_user, cast):
    token = classic_token(cast.alice, scopes=[]).token
    as_user(cast.alice).post(
        edit_url(token), {"note": "ci", "scopes": ["repo", "repo:status", "public_repo", "read:org"]}
    )
    token.refresh_from_db()
    assert token.scopes == ["read:org", "repo"]


def test_the_audit_event_lists_exactly_what_changed(as_user, cast):
    token = classic_token(cast.alice, note="laptop", scopes=["gist"]).token
    as_user(cast.alice).post(edit_url(token), {"note": "laptop", "scopes": ["gist", "repo"]})
    event = AuditEvent.objects.filter(action="personal_access_token.updated", token_id=token.pk).get()
    assert event.data["fields"] == ["scopes"]
    assert event.data["changes"] == {"scopes": {"from": ["gist"], "to": ["gist", "repo"]}}


def test_saving_without_a_change_records_nothing(as_user, cast):
    token = classic_token(cast.alice, note="laptop", scopes=["gist"]).token
    as_user(cast.alice).post(edit_url(token), {"note": "laptop", "scopes": ["gist"]})
    assert not AuditEvent.objects.filter(action="personal_access_token.updated", token_id=token.pk).exists()


def test_an_empty_note_is_refused_naming_the_field_and_nothing_changes(as_user, cast):
    token = classic_token(cast.alice, note="laptop", scopes=["gist"]).token
    response = as_user(cast.alice).post(edit_url(token), {"note": "", "scopes": ["repo"]})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page
    assert 'href="#id_note"' in page
    assert "Note: This field is required." in page
    token.refresh_from_db()
    assert (token.note, token.scopes) == ("laptop", ["gist"])


def test_an_unknown_scope_is_refused_naming_the_field(as_user, cast):
    token = classic_token(cast.alice, scopes=["gist"]).token
    response = as_user(cast.alice).post(edit_url(token), {"note": "x", "scopes": ["root"]})
    assert response.status_code == 200
    assert "Select scopes" in response.content.decode()
    assert 'href="#id_scopes"' in response.content.decode()
    assert ClassicToken.objects.get(pk=token.pk).scopes == ["gist"]


def test_another_users_classic_token_cannot_be_edited(as_user, cast):
    token = classic_token(cast.alice, note="laptop").token
    client = as_user(cast.olga)
    assert client.get(edit_url(token)).status_code == 404
    assert client.post(edit_url(token), {"note": "mine"}).status_code == 404
    assert ClassicToken.objects.get(pk=token.pk).note == "laptop"
