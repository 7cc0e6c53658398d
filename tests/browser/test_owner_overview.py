"""The owner's overview in Chromium: the counts, the link to what expires soon, and the weekly chart as one
image with words (behaviour §5.2), axe-clean at 1280 and 390 px, light and dark."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.axe import violations
from tests.browser.conftest import sign_in
from tests.factories import AccessRequestFactory, fine_grained_token
from tokens.models import AccessRequest

pytestmark = pytest.mark.browser

WIDTHS = {"wide": {"width": 1280, "height": 900}, "narrow": {"width": 390, "height": 844}}


def a_busy_quarter(cast):
    """Requests spread over the last twelve weeks, two tokens with access, one of them expiring in 3 days."""
    for weeks_ago, count in ((0, 2), (1, 5), (4, 1), (7, 3), (11, 4)):
        for _ in range(count):
            request = AccessRequestFactory(
                user=cast.alice, organization=cast.acme, permissions={"contents": "read"}, repository_access="all"
            )
            when = timezone.now() - timedelta(weeks=weeks_ago)
            AccessRequest.objects.filter(pk=request.pk).update(created_at=when)
    for name, days in (("deploy-bot", 3), ("nightly", 60)):
        fine_grained_token(
            cast.alice,
            name=name,
            resource_owner=cast.acme,
            permissions={"contents": "read"},
            approved=True,
            expires_in_days=days,
        )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_overview_shows_the_counts_and_the_chart_and_passes_axe(cast, page, width, scheme):
    a_busy_quarter(cast)
    page.set_viewport_size(WIDTHS[width])
    page.emulate_media(color_scheme=scheme)
    sign_in(page, "olga")
    page.goto("/orgs/acme/")
    chart = page.get_by_role("img", name="Token requests to acme per week, last 12 weeks")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] <= WIDTHS[width]["width"]
    expect(page.locator("#expiring-heading + p .count")).to_have_text("1")
    assert page.locator(".chart table tbody tr").count() == 12
    assert violations(page) == []
    assert page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")[0] <= WIDTHS[width]["width"]


def test_the_expiring_link_opens_the_active_tokens_that_expire_within_7_days(cast, page):
    a_busy_quarter(cast)
    sign_in(page, "olga")
    page.goto("/orgs/acme/")
    page.get_by_role("link", name="See tokens expiring within 7 days").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue")).to_contain_text("deploy-bot")
    expect(page.get_by_label("Expires")).to_have_value("7")
