"""The audit logs in Chromium: words, links, dates, CSV, and no sideways scrolling at 1280 or 390 px (issue 18)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import fine_grained_token
from tokens import services

from .axe import violations

pytestmark = pytest.mark.browser

WIDTHS = [1280, 390]


@pytest.fixture
def history(cast):
    """alice asks acme for access with "deploy", olga approves it, then alice asks for more."""
    token = fine_grained_token(
        cast.alice,
        name="deploy",
        resource_owner=cast.acme,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "read"},
        description="Ships the web site to production every night, with a description long enough to wrap.",
    ).token
    services.access_request_review(request=token.requests.get(), reviewer=cast.olga, approve=True)
    services.fine_grained_token_update(token=token, actor=cast.alice, permissions={"contents": "write"})
    return token


def scrolls_sideways(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_organizations_audit_log_fits_and_reads_as_words(cast, page, history, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "olga")
    page.goto("/orgs/acme/settings/audit-log/")

    log = page.locator("table.audit-log")
    expect(log.get_by_text("Token request created").first).to_be_visible()
    expect(log.get_by_text("Contents:").first).to_be_visible()
    expect(log).not_to_contain_text("personal_access_token.")
    assert not scrolls_sideways(page)

    log.get_by_role("link", name="deploy").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("deploy")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_enterprises_audit_log_in_the_admin_fits(cast, page, history, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "erin")
    page.goto("/admin/audit/auditevent/")

    expect(page.locator("#result_list").get_by_text("Token edited")).to_be_visible()
    expect(page.locator("#result_list").get_by_text("read-only → read and write")).to_be_visible()
    assert not scrolls_sideways(page)


def test_the_date_filter_narrows_the_log_and_names_a_bad_date(cast, page, history):
    sign_in(page, "olga")
    page.goto("/orgs/acme/settings/audit-log/")
    page.fill("#id_date_from", "2000-01-01")
    page.fill("#id_date_to", "2000-01-31")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No events match.")).to_be_visible()

    page.goto("/orgs/acme/settings/audit-log/?date_from=tomorrow")
    expect(page.get_by_role("alert")).to_contain_text("From: Give a date as YYYY-MM-DD.")


def test_the_csv_download_holds_the_filtered_events(cast, page, history):
    sign_in(page, "olga")
    page.goto("/orgs/acme/settings/audit-log/?action=personal_access_token.updated")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these events as CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Time,Event,Action,Actor,Organization,Token,Token type,Token id,Details"
    assert len(lines) == 2 and "Token edited" in lines[1] and "Contents: read-only → read and write" in lines[1]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_organizations_audit_log_has_no_serious_accessibility_violations(cast, page, history, scheme):
    page.emulate_media(color_scheme=scheme)
    sign_in(page, "olga")
    page.goto("/orgs/acme/settings/audit-log/?date_from=tomorrow")
    assert violations(page) == []
    page.goto("/orgs/acme/settings/audit-log/")
    assert violations(page) == []
