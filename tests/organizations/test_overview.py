"""/orgs/<login>/: the owners' overview of an organization; a 404 for everyone else."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import client_for, request_for
from tests.factories import AccessRequestFactory, fine_grained_token
from tokens.models import AccessRequest
from tokens.selectors import requests_per_week


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


def approved(cast, **kwargs):
    token = fine_grained_token(
        cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}, approved=True, **kwargs
    )
    return token.token


def made_weeks_ago(request, weeks: int):
    AccessRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(weeks=weeks))


def test_the_owner_sees_active_tokens_and_those_expiring_within_7_days_linked_to_that_list(cast, olga):
    approved(cast, expires_in_days=3)
    approved(cast, expires_in_days=30)
    response = olga.get(url(cast.acme))
    assert (response.context["active_count"], response.context["expiring_count"]) == (2, 1)
    active = reverse("tokens:org-active", args=["acme"])
    assert f'href="{active}?expiring=7"' in response.content.decode()


def test_requests_are_counted_by_week_for_12_weeks_this_one_last(cast):
    for weeks_ago in (0, 0, 3, 11, 12):
        made_weeks_ago(request_for(cast.alice, cast), weeks_ago)
    AccessRequestFactory(user=cast.mallory, organization=cast.globex)
    weeks = requests_per_week(organization=cast.acme)
    today = timezone.localdate()
    assert len(weeks) == 12
    assert weeks[-1] == (today - timedelta(days=today.weekday()), 2)
    assert [count for _, count in weeks] == [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2]


def test_the_chart_is_an_image_with_words_and_its_numbers_are_a_table(cast, olga):
    request_for(cast.alice, cast)
    page = olga.get(url(cast.acme)).content.decode()
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="requests-per-week-title requests-per-week-desc"' in svg
    assert '<title id="requests-per-week-title">Token requests to acme per week, last 12 weeks</title>' in svg
    assert "1 in all; the most, 1, in the week of" in svg
    assert svg.count('class="chart-bar"') == 1 and svg.count('class="chart-value"') == 12
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    table = re.search(r'<table class="visually-hidden">.*?</table>', page, re.S).group(0)
    assert table.count("<tr>") == 13 and "<td>1</td>" in table


def test_the_overview_takes_a_fixed_number_of_queries(cast, olga):
    def queries(requests):
        for index in range(requests):
            made_weeks_ago(request_for(cast.alice, cast), index % 12)
            approved(cast, expires_in_days=3)
        with CaptureQueriesContext(connection) as captured:
            assert olga.get(url(cast.acme)).status_code == 200
        return len(captured)

    few = queries(2)
    assert few <= 10
    assert queries(20) == few
