"""Maximum lifetimes in Chromium: locked on the organization's page, bounded expirations, outliving tokens named."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from policies.services import enterprise_policy_update, organization_policy_update
from tests.browser.conftest import review_and_save, sign_in
from tests.factories import fine_grained_token
from tokens.models import FineGrainedToken

pytestmark = pytest.mark.browser


def expiration_offered(page) -> list[str]:
    return page.locator("select[name=expiration] option:not([disabled])").evaluate_all(
        "options => options.map(option => option.textContent)"
    )


def test_the_enterprises_maximums_are_shown_locked_on_the_organizations_page(cast, page):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=90, classic_max_lifetime_days=30)
    sign_in(page, "olga")
    page.goto(reverse("organization_pat_settings", args=["acme"]))

    lifetimes = page.get_by_role("group", name="Set a maximum lifetime for personal access tokens")
    expect(lifetimes.get_by_text("Set by your enterprise")).to_have_count(2)
    expect(lifetimes).to_contain_text("acme may set a shorter maximum, not a longer one.")
    expect(lifetimes).to_contain_text("to live at most 30 days; acme cannot change it.")
    expect(lifetimes.get_by_label("Fine-grained personal access tokens: maximum lifetime (days)")).to_have_attribute(
        "max", "90"
    )


def test_choosing_an_organization_bounds_the_expirations_and_says_who_set_the_limit(cast, page):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=30)
    sign_in(page, "alice")
    page.goto(reverse("tokens:fine-grained-new"))
    expect(page.get_by_label("Expires in")).to_be_visible()
    assert expiration_offered(page) == ["7 days", "30 days", "60 days", "90 days", "Custom…", "No expiration"]

    page.locator("#owner-acme").check()

    assert expiration_offered(page) == ["7 days", "30 days", "Custom…"]
    expect(page.locator("#lifetime-limit")).to_have_text(
        "The Big Corp enterprise allows tokens that live at most 30 days, so “No expiration” is not offered."
    )
    expect(page.locator("input[name=custom_days]")).to_have_attribute("max", "30")

    page.locator("#owner-alice").check()

    assert "No expiration" in expiration_offered(page)
    expect(page.locator("#lifetime-limit")).to_be_hidden()


def test_a_limit_below_the_chosen_preset_moves_the_choice_within_it(cast, page):
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=10)
    sign_in(page, "alice")
    page.goto(reverse("tokens:fine-grained-new"))
    page.get_by_label("Expires in").select_option("90")

    page.locator("#owner-acme").check()

    expect(page.get_by_label("Expires in")).to_have_value("7")
    page.get_by_label("Token name").fill("ci")
    page.get_by_role("button", name="Generate token").click()
    expect(page.get_by_role("heading", name="ci")).to_be_visible()
    token = FineGrainedToken.objects.get(name="ci")
    assert round((token.expires_at - token.issued_at).total_seconds() / 86400) == 7


def test_after_save_the_enterprise_page_names_the_tokens_that_outlive_the_new_maximum(cast, page):
    issued = fine_grained_token(cast.alice, resource_owner=cast.acme, name="deploy", expires_in_days=90)
    sign_in(page, "erin")
    page.goto(reverse("admin:enterprises_enterprise_pat_policies", args=["bigcorp"]))

    page.get_by_label("Fine-grained personal access tokens: maximum lifetime (days)").fill("30")
    review_and_save(page)

    expect(page.get_by_text("Personal access token policies saved.")).to_be_visible()
    outliving = page.get_by_role("region", name="1 token outlives the maximum lifetime")
    expect(outliving.get_by_role("row")).to_have_count(2)
    outliving.get_by_role("link", name="deploy").click()
    expect(page).to_have_url(f"{page.url.split('/admin/')[0]}/admin/tokens/finegrainedtoken/{issued.token.pk}/change/")
