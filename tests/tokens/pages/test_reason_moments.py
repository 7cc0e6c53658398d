"""The engine's reasons and the holder's pages say a moment in the same words (tokens.engine.moments).

A reason reaches the token pages, the check API and emails; the pages draw the
same moment with the `when` filter. Moments here are days old, so the pages
show the full date rather than "2 hours ago".
"""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import classic_token, fine_grained_token
from tokens import services
from tokens.models import EnterpriseCredentialRevocation, FineGrainedToken

pytestmark = pytest.mark.django_db


def days_ago():
    return timezone.now() - timedelta(days=3)


def time_text(page: str, after: str) -> str:
    """The words of the first `<time>` element after `after` on the page."""
    return re.search(re.escape(after) + r".*?<time [^>]*>([^<]+)</time>", page, re.S).group(1)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def test_an_expired_tokens_reason_says_the_expiry_the_page_shows(as_user, api, cast):
    issued = fine_grained_token(cast.alice, name="old")
    FineGrainedToken.objects.filter(pk=issued.token.pk).update(expires_at=days_ago())

    page = text_of(as_user(cast.alice).get(f"/settings/tokens/fine-grained/{issued.token.pk}/"))
    body = {"token": issued.plaintext, "resource": "alice", "permission": "profile:read"}
    answer = api.post("/api/v1/access/check", body, format="json")

    shown = time_text(page, "<dt>Expires</dt>")
    assert answer.json()["message"].startswith(f"This token expired on {shown};")


def test_an_enterprise_revokes_reason_says_the_moment_the_page_shows(as_user, cast):
    token = classic_token(cast.alice, note="laptop", scopes=["repo"]).token
    services.credential_enterprise_revoke(credential=token, enterprise=cast.bigcorp, actor=cast.erin)
    EnterpriseCredentialRevocation.objects.update(revoked_at=days_ago())

    page = text_of(as_user(cast.alice).get(f"/settings/tokens/classic/{token.pk}/"))

    shown = time_text(page, 'class="enterprise-revocation"')
    assert f"Big Corp's owners revoked this token's access to its organizations on {shown};" in page
