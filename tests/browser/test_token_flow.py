"""A member's token through approval, in Debian's Chromium (behaviour §5.2)."""

import pytest

from tests.browser.conftest import sign_in
from tests.factories import fine_grained_token, pending_request
from tokens.engine.access import check
from tokens.engine.facts import CheckInput, parse_resource

pytestmark = pytest.mark.browser

QUEUE = "/orgs/acme/settings/personal-access-tokens/requests/"


@pytest.fixture
def owner_page(browser, live_server):
    """A second browser session, for the organization owner."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_a_member_creates_a_token_the_owner_approves_and_the_check_then_allows(page, owner_page, cast):
    sign_in(page, "alice")
    page.goto("/settings/tokens/new/")
    page.fill("#id_name", "deploy")
    page.check("#owner-acme")
    assert page.is_visible("text=Approval required: an owner must approve the request.")
    page.check("input[name=repository_access][value=all]")
    page.select_option("#id_permission_contents", "read")
    page.fill("#id_justification", "nightly deploys")
    page.click("button[type=submit].primary")
    plaintext = page.text_content("#token-plaintext").strip()
    resource = parse_resource("acme/web")
    assert check(CheckInput(resource, "contents", "read", token=plaintext)).decision.reason == "approval_pending"

    page.goto("/settings/tokens/")
    assert "Pending" in page.text_content("tr[data-token-type=fine_grained]")

    sign_in(owner_page, "olga")
    owner_page.goto(QUEUE)
    row = owner_page.locator("tr[data-request-id]", has_text="deploy")
    assert "nightly deploys" in row.text_content()
    row.locator("button[value=approve]").click()
    owner_page.wait_for_selector("text=Approved request")

    assert check(CheckInput(resource, "contents", "read", token=plaintext)).decision.allowed
    page.goto("/settings/tokens/")
    assert "Approved" in page.text_content("tr[data-token-type=fine_grained]")


def test_a_bulk_deny_reason_reaches_the_requesters_token_page(page, owner_page, cast):
    requests = [
        pending_request(
            fine_grained_token(cast.alice, resource_owner=cast.acme, name=name, permissions={"contents": "read"}).token
        )
        for name in ("first", "second")
    ]
    sign_in(owner_page, "olga")
    owner_page.goto(QUEUE)
    for request in requests:
        owner_page.check(f"input[name=request_ids][value='{request.pk}']")
    owner_page.fill("#bulk-review textarea[name=reason]", "Use one token for both jobs.")
    owner_page.click("#bulk-review button[value=deny]")
    # Denying is confirmed in a dialog that keeps the reason (issue 18).
    owner_page.click("dialog form.confirm-form button[type=submit]")
    owner_page.wait_for_selector("text=Denied 2 requests.")

    sign_in(page, "alice")
    page.goto("/settings/tokens/")
    for name in ("first", "second"):
        row = page.locator("tr[data-token-type=fine_grained]", has_text=name)
        assert "Denied" in row.text_content()
        assert "Use one token for both jobs." in row.text_content()
