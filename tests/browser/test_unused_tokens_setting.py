"""The enterprise's "Revoke unused personal access tokens" setting in Chromium (behaviour §5.1)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from enterprises.models import Enterprise
from tests.browser.conftest import review_and_save, sign_in

pytestmark = pytest.mark.browser


def open_policies(page):
    sign_in(page, "erin")
    page.goto(reverse("admin:enterprises_enterprise_pat_policies", args=["bigcorp"]))
    return page.get_by_role("group", name="Revoke unused personal access tokens")


def test_an_owner_turns_it_on_and_sees_it_in_force(cast, page):
    section = open_policies(page)
    expect(page.get_by_text("Unused tokens keep their access to Big Corp.")).to_be_visible()

    section.get_by_label("Revoke tokens unused for (days)").fill("90")
    review_and_save(page)

    expect(page.get_by_text("Personal access token policies saved.")).to_be_visible()
    expect(page.get_by_text("Tokens unused for 90 days lose their access to Big Corp")).to_be_visible()
    expect(page.get_by_label("Revoke tokens unused for (days)")).to_have_value("90")
    assert Enterprise.objects.get(slug="bigcorp").revoke_unused_after_days == 90


def test_a_number_out_of_range_is_refused_next_to_the_field(cast, page):
    section = open_policies(page)

    section.get_by_label("Revoke tokens unused for (days)").fill("10")
    page.get_by_role("button", name="Review changes").click()

    field = page.get_by_label("Revoke tokens unused for (days)")
    expect(field).to_have_accessible_description(
        "30–365 days; empty: never. Give a whole number of days from 30 to 365 under “Revoke tokens unused for "
        "(days)”, or leave it empty."
    )
    expect(field).to_have_value("10")
    assert Enterprise.objects.get(slug="bigcorp").revoke_unused_after_days is None
