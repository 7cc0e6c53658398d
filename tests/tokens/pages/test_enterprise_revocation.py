"""The holder sees an enterprise's revoke of their classic token on its pages (issue 16 §6)."""

import html
import re

import pytest
from django.utils import timezone

from tests.factories import classic_token
from tokens import services

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.fixture
def revoked(cast):
    issued = classic_token(cast.alice, note="laptop", scopes=["repo"])
    services.credential_enterprise_revoke(credential=issued.token, enterprise=cast.bigcorp, actor=cast.erin)
    return issued.token


def test_the_token_page_says_which_enterprise_revoked_it_and_when(as_user, cast, revoked):
    response = as_user(cast.alice).get(f"/settings/tokens/classic/{revoked.pk}/")

    moment = timezone.localtime(revoked.enterprise_revocations.get().revoked_at)
    text = re.sub(r"<[^>]+>", "", text_of(response))
    assert "Big Corp's owners revoked this token's access to its organizations (just now)." in text
    assert f'<time datetime="{moment.isoformat()}"' in response.content.decode()


def test_the_token_page_shows_each_of_the_enterprises_organizations_as_revoked(as_user, cast, revoked):
    response = as_user(cast.alice).get(f"/settings/tokens/classic/{revoked.pk}/")

    [state] = response.context["restrictions"]
    assert (state.organization, state.reason, state.label) == (cast.acme, "access_revoked", "Access revoked")


def test_the_token_list_shows_the_revoke(as_user, cast, revoked):
    text = text_of(as_user(cast.alice).get("/settings/tokens/?type=classic"))

    assert "Big Corp's owners revoked this token's access to its organizations" in text


def test_a_token_no_enterprise_revoked_says_nothing_of_it(as_user, cast):
    token = classic_token(cast.alice, note="desk").token

    text = text_of(as_user(cast.alice).get(f"/settings/tokens/classic/{token.pk}/"))

    assert "revoked this token" not in text
