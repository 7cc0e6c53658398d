"""A holder's lists and token pages in Chromium: tabs, search, sort, expiry warning, SSH keys, state words."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import violations
from tests.browser.conftest import sign_in
from tests.browser.test_token_pages import shoot
from tests.factories import SSHKeyFactory, classic_token, fine_grained_token, pending_request
from tokens import services
from tokens.models import SSHKey

pytestmark = pytest.mark.browser


@pytest.fixture
def alices_credentials(cast):
    approved = fine_grained_token(
        cast.alice, name="deploy", resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    services.access_request_review(request=pending_request(approved.token), reviewer=cast.olga, approve=True)
    services.fine_grained_token_update(
        token=approved.token, actor=cast.alice, permissions={"contents": "read", "issues": "write"}
    )
    denied = fine_grained_token(cast.alice, name="reports", resource_owner=cast.acme, permissions={"issues": "read"})
    services.access_request_review(
        request=pending_request(denied.token), reviewer=cast.olga, approve=False, reason="Use the shared bot."
    )
    fine_grained_token(cast.alice, name="backup", expires_in_days=3)
    classic = classic_token(cast.alice, note="laptop", scopes=["repo"]).token
    key = SSHKeyFactory(user=cast.alice, title="workstation")
    return {"approved": approved.token, "classic": classic, "key": key}


def test_tabs_search_and_sort_narrow_the_list(page, cast, alices_credentials):
    # Each step waits for the page it asked for (its URL, then the rows' names): a read right
    # after a click could still see the page before it.
    sign_in(page, "alice")
    page.goto("/settings/tokens/")
    rows = page.locator("tr[data-token-type]")
    names = rows.locator("td[data-label=Token] strong")
    expect(rows).to_have_count(3)
    expect(page.locator("tr[data-token-type=classic]")).to_have_count(0)
    page.fill("#id_q", "back")
    page.click("form.list-controls button[type=submit]")
    expect(page).to_have_url(re.compile(r"[?&]q=back(&|$)"))
    expect(names).to_have_text(["backup"])
    page.goto("/settings/tokens/")
    page.select_option("#id_sort", "name")
    page.click("form.list-controls button[type=submit]")
    expect(page).to_have_url(re.compile(r"[?&]sort=name(&|$)"))
    expect(names).to_have_text(["backup", "deploy", "reports"])
    page.click("text=Tokens (classic)")
    expect(page).to_have_url(re.compile(r"\?type=classic$"))
    expect(page.locator("tr[data-token-type=classic]")).to_have_count(1)
    expect(page.locator("tr[data-token-type=fine_grained]")).to_have_count(0)


def test_the_list_warns_of_expiry_and_colours_pending_apart_from_denied(page, cast, alices_credentials):
    sign_in(page, "alice")
    page.goto("/settings/tokens/")
    backup = page.locator("tr[data-token-type]", has_text="backup")
    assert backup.locator(".expires-soon").text_content().strip() == "Expires in 3 days"
    pending = page.locator("tr[data-token-type]", has_text="deploy").locator(".badge")
    denied = page.locator("tr[data-token-type]", has_text="reports").locator(".badge")
    colour = "element => getComputedStyle(element).color"
    assert pending.evaluate(colour) != denied.evaluate(colour)
    assert "Approved by acme for Contents (read-only); Issues (read and write) awaiting review" in page.text_content(
        "tr[data-token-type]:has-text('deploy')"
    )
    assert "denied your request" in page.text_content("tr[data-token-type]:has-text('reports')")
    assert "Use the shared bot." in page.text_content("tr[data-token-type]:has-text('reports')")
    shoot(page, "token-list")


def test_the_edit_page_warns_before_asking_for_more(page, cast, alices_credentials):
    sign_in(page, "alice")
    page.goto(f"/settings/tokens/fine-grained/{alices_credentials['approved'].pk}/")
    shoot(page, "token-detail")
    page.click("a:text-is('Edit')")
    assert (
        page.locator(".approval-warning")
        .text_content()
        .startswith("Asking for more access needs acme's approval again; until then the token keeps what was approved.")
    )


def test_an_ssh_key_is_deleted_after_confirming(page, cast, alices_credentials):
    key = alices_credentials["key"]
    sign_in(page, "alice")
    page.goto("/settings/tokens/")
    page.click("nav[aria-label='Credential types'] >> text=SSH keys")
    assert "workstation" in page.text_content("table.ssh-keys")
    shoot(page, "ssh-keys")
    page.click(f"tr[data-ssh-key-id='{key.pk}'] a[data-confirm]")
    assert "workstation stops working everywhere at once; this cannot be undone." in page.text_content(".confirm-what")
    assert SSHKey.objects.get(pk=key.pk).deleted_at is None
    page.click("form.confirm-form button[type=submit]")
    page.wait_for_selector("text=Deleted the SSH key workstation.")
    assert SSHKey.objects.get(pk=key.pk).deleted_at is not None


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_holders_pages_have_no_serious_accessibility_violations(page, cast, alices_credentials, scheme):
    token = alices_credentials["approved"]
    key = alices_credentials["key"]
    sign_in(page, "alice")
    page.emulate_media(color_scheme=scheme)
    classic = alices_credentials["classic"]
    urls = [
        "/settings/tokens/",
        "/settings/tokens/?type=classic",
        "/settings/tokens/ssh-keys/",
        "/settings/tokens/new/",
        "/settings/tokens/new-classic/",
        f"/settings/tokens/fine-grained/{token.pk}/",
        f"/settings/tokens/fine-grained/{token.pk}/edit/",
        f"/settings/tokens/fine-grained/{token.pk}/delete/",
        f"/settings/tokens/fine-grained/{token.pk}/regenerate/",
        f"/settings/tokens/fine-grained/{token.pk}/secret/",
        f"/settings/tokens/ssh-keys/{key.pk}/delete/",
        f"/settings/tokens/classic/{classic.pk}/",
        f"/settings/tokens/classic/{classic.pk}/edit/",
    ]
    found = {}
    for url in urls:
        page.goto(url)
        problems = violations(page)
        if problems:
            found[url] = problems
    assert found == {}
