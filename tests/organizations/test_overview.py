"""/orgs/<login>/: the owners' overview of an organization; a 404 for everyone else."""

import re

import pytest
from django.urls import reverse

from tests.conftest import client_for, request_for


def without_csrf_token(response) -> str:
    """The page, less the sign-out form's token (masked afresh on every page)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def url(organization):
    return reverse("organization_overview", args=[organization.login])


def test_the_owner_sees_the_pending_requests_count(cast, olga):
    request_for(cast.alice, cast)
    request_for(cast.emu_bob, cast)
    response = olga.get(url(cast.acme))
    assert response.status_code == 200
    assert response.context["pending_count"] == 2


def test_the_overview_links_to_the_settings_requests_active_tokens_and_audit_log(cast, olga):
    page = olga.get(url(cast.acme)).content.decode()
    for name in ("organization_pat_settings", "tokens:org-requests", "tokens:org-active", "organization_audit_log"):
        assert f'href="{reverse(name, args=["acme"])}"' in page, name


@pytest.mark.parametrize("who", ["alice", "mallory", "erin", "gina"])
def test_anyone_but_an_owner_gets_the_same_404_as_a_missing_organization(cast, who):
    client = client_for(getattr(cast, who))
    theirs = client.get(url(cast.acme))
    missing = client.get("/orgs/no-such/")
    assert theirs.status_code == missing.status_code == 404
    assert without_csrf_token(theirs) == without_csrf_token(missing)


def test_signed_out_people_are_sent_to_sign_in(cast, client):
    response = client.get(url(cast.acme))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_overview_takes_a_fixed_number_of_queries(cast, olga, django_assert_max_num_queries):
    for _ in range(3):
        request_for(cast.alice, cast)
    with django_assert_max_num_queries(8):
        assert olga.get(url(cast.acme)).status_code == 200
