"""`revoke_api_client` (issue 16, point 5): the named client is refused from the next request."""

from datetime import UTC, datetime

import pytest
from django.core.management.base import CommandError

from audit.models import AuditEvent
from tests.factories import api_client
from tests.tokens.commands.helpers import counts, run_command
from tokens.api.authentication import authenticate_client
from tokens.models import ApiClient

pytestmark = pytest.mark.django_db


def test_revokes_the_site_wide_client_of_that_name(cast):
    site_wide = api_client("ci")
    scoped = api_client("ci", enterprise=cast.bigcorp)

    output = run_command("revoke_api_client", "ci")

    assert "Revoked API client 'ci' (site-wide)" in output
    assert authenticate_client(site_wide.plaintext) is None
    assert authenticate_client(scoped.plaintext) is not None
    assert AuditEvent.objects.filter(action="api_client.revoked", data={"name": "ci"}).count() == 1


def test_enterprise_names_the_enterprises_client(cast):
    scoped = api_client("ci", enterprise=cast.bigcorp)

    run_command("revoke_api_client", "ci", "--enterprise", "bigcorp")

    assert authenticate_client(scoped.plaintext) is None
    assert ApiClient.objects.get().revoked_at is not None


def test_an_unknown_name_is_refused(cast):
    api_client("ci", enterprise=cast.bigcorp)
    before = counts()

    with pytest.raises(CommandError, match=r"No API client is named 'ci' site-wide\."):
        run_command("revoke_api_client", "ci")
    assert counts() == before


def test_revoking_again_changes_nothing(cast):
    api_client("ci")
    run_command("revoke_api_client", "ci")
    revoked_at = ApiClient.objects.get().revoked_at

    output = run_command("revoke_api_client", "ci")

    assert "already revoked" in output
    assert ApiClient.objects.get().revoked_at == revoked_at
    assert AuditEvent.objects.filter(action="api_client.revoked").count() == 1


def test_revoking_again_says_when_it_was_revoked(cast):
    api_client("ci")
    run_command("revoke_api_client", "ci")
    ApiClient.objects.update(revoked_at=datetime(2026, 12, 5, 1, 33, tzinfo=UTC))

    output = run_command("revoke_api_client", "ci")

    assert "API client 'ci' (site-wide) was already revoked on Dec 5, 2026, 01:33 UTC." in output
