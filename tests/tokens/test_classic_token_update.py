"""services.classic_token_update: note and scopes, one transaction with its audit event."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import classic_token
from tokens import services


def test_scopes_keep_only_what_a_parent_does_not_already_include(cast):
    token = classic_token(cast.alice, scopes=[]).token
    services.classic_token_update(token=token, actor=cast.alice, scopes=["admin:org", "read:org", "write:org", "gist"])
    token.refresh_from_db()
    assert token.scopes == ["admin:org", "gist"]


def test_a_revoked_token_cannot_be_edited(cast):
    token = classic_token(cast.alice, note="laptop", revoked=True).token
    with pytest.raises(ValidationError, match="revoked"):
        services.classic_token_update(token=token, actor=cast.alice, note="desktop")
    token.refresh_from_db()
    assert token.note == "laptop"


def test_a_multi_line_note_is_refused_naming_the_note(cast):
    token = classic_token(cast.alice, note="laptop").token
    with pytest.raises(ValidationError) as error:
        services.classic_token_update(token=token, actor=cast.alice, note="one\ntwo")
    assert "note" in error.value.message_dict
