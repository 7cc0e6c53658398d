"""The site's layout in Chromium: narrow screens, dark mode, the skip link, navigation and error pages."""

import re

import pytest
from playwright.sync_api import expect

from config.views import server_error
from tests.browser.conftest import sign_in
from tests.conftest import request_for

pytestmark = pytest.mark.browser

NARROW = {"width": 390, "height": 844}


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def test_at_390_px_the_sidebar_stacks_above_the_content(cast, page):
    page.set_viewport_size(NARROW)
    sign_in(page, "olga")
    page.goto("/orgs/acme/settings/audit-log/")
    sidebar = page.get_by_role("complementary", name="Organization settings").bounding_box()
    main = page.locator("main").bounding_box()
    assert main["y"] >= sidebar["y"] + sidebar["height"]
    assert main["width"] > 300
    assert not scrolls_sideways(page)


def test_the_page_follows_the_dark_colour_scheme(cast, page):
    sign_in(page, "alice")
    background = "getComputedStyle(document.body).backgroundColor"
    page.emulate_media(color_scheme="light")
    light = page.evaluate(background)
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(background) != light == "rgb(255, 255, 255)"


def test_the_first_tab_reaches_the_skip_link_which_moves_to_the_content(cast, page):
    sign_in(page, "alice")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()


def test_the_organization_switcher_leads_to_the_overview(cast, page):
    request_for(cast.alice, cast)
    sign_in(page, "olga")
    page.get_by_text("Organizations", exact=True).click()
    page.get_by_role("navigation", name="Site").get_by_role("link", name="acme").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("acme")
    expect(page.get_by_role("region", name="Pending requests")).to_contain_text("1")
    page.get_by_role("link", name="Review pending requests").click()
    assert page.url.endswith("/orgs/acme/settings/personal-access-tokens/requests/")


def test_an_enterprise_owner_goes_from_the_home_page_to_the_enterprise_settings(cast, page):
    sign_in(page, "erin")
    enterprises = page.get_by_role("region", name="Your enterprises")
    enterprises.get_by_role("link", name="Enterprise settings for Big Corp").click()
    assert page.url.endswith("/admin/enterprises/enterprise/bigcorp/settings/")


def test_every_page_has_the_favicon(cast, page):
    page.goto("/login/")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    assert page.request.get(href).ok


def test_the_api_docs_lead_back_to_the_site(db, page):
    page.goto("/api/docs/")
    page.get_by_role("link", name="Back to Patrol").click()
    assert page.url.endswith("/login/?next=/")


def test_opening_an_api_operation_puts_its_deep_link_in_the_address_bar(db, page):
    # The operation's path is text, not a link inside its button (static/js/api-docs.js); the deep link stays.
    page.goto("/api/docs/")
    page.locator("#operations-v1-access_check .opblock-summary-control").click()
    expect(page).to_have_url(re.compile(r"/api/docs/#/v1/access_check$"))


def test_a_missing_page_is_the_sites_404_with_a_way_back(cast, page):
    sign_in(page, "alice")
    response = page.goto("/orgs/acme/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_role("navigation", name="Site")).to_contain_text("Signed in as alice")
    page.get_by_role("link", name="Back to the start page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, alice")


def test_a_form_sent_without_its_csrf_cookie_gets_the_sites_403(db, page):
    page.goto("/login/")
    page.context.clear_cookies()
    page.fill("#id_username", "alice")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Form expired")
    expect(page.get_by_role("link", name="Back to the start page")).to_be_visible()


def test_a_failed_sign_in_puts_an_error_summary_first_linking_to_the_field(cast, page):
    page.goto("/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please enter a correct login and password")
    first = "document.querySelector('form > :not(input[type=hidden])')"
    assert page.evaluate(f"{first} === document.querySelector('form .error-summary')")
    summary.get_by_role("link").click()
    expect(page.locator("#id_username")).to_be_focused()


def test_every_aria_describedby_points_at_an_element_that_exists(cast, page):
    page.goto("/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    described = page.locator("[aria-describedby]")
    assert described.count() > 0
    missing = page.evaluate(
        """() => [...document.querySelectorAll('[aria-describedby]')].flatMap(element =>
            element.getAttribute('aria-describedby').split(/\\s+/).filter(id => !document.getElementById(id)))"""
    )
    assert missing == []


def test_a_crash_is_answered_with_the_sites_500_page_and_a_way_back(rf):
    response = server_error(rf.get("/settings/tokens/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert 'href="#content">Skip to content' in page and "Something went wrong" in page
    assert '<a href="/">Back to the start page</a>' in page
