"""Owners' destructive actions confirm in Chromium: a page without JavaScript, a dialog with it (issue 18)."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import fine_grained_token, grant_of, pending_request
from tokens.models import AccessRequest, Grant

pytestmark = pytest.mark.browser

PATS = "/orgs/acme/settings/personal-access-tokens"


def approved(cast, name):
    token = fine_grained_token(
        cast.alice, resource_owner=cast.acme, approved=True, name=name, permissions={"contents": "write"}
    ).token
    return grant_of(token)


def waiting(cast, name):
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, name=name, permissions={"issues": "read"}).token
    return pending_request(token)


@pytest.fixture
def page_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_without_javascript_revoke_leads_to_a_confirmation_page(cast, page_without_javascript):
    page = page_without_javascript
    grant = approved(cast, "deploy")
    sign_in(page, "olga")
    page.goto(f"{PATS}/active/")
    page.get_by_role("link", name="Revoke alice’s deploy…").click()
    expect(page).to_have_url(f"{page.url.split('/orgs/')[0]}{PATS}/active/{grant.pk}/revoke/")
    expect(page.locator("form.confirm-form")).to_contain_text(
        "alice’s token deploy loses access to acme; this cannot be undone."
    )
    grant.refresh_from_db()
    assert grant.revoked_at is None
    page.get_by_role("button", name="Revoke access").click()
    expect(page.locator(".flash-success")).to_contain_text("Revoked deploy's access to acme.")
    grant.refresh_from_db()
    assert grant.revoked_by == cast.olga


def test_without_javascript_deny_selected_confirms_with_the_reason(cast, page_without_javascript):
    page = page_without_javascript
    first, second = waiting(cast, "one"), waiting(cast, "two")
    sign_in(page, "olga")
    page.goto(f"{PATS}/requests/")
    page.get_by_label(f"Select request #{first.pk}").check()
    page.get_by_label(f"Select request #{second.pk}").check()
    page.get_by_label("Reason (optional, shown to the requesters)").fill("Too broad.")
    page.get_by_role("button", name="Deny selected…").click()
    form = page.locator("form.confirm-form")
    expect(form).to_contain_text("2 requests to acme are denied")
    expect(form.get_by_label("Reason (sent to the requester)")).to_have_value("Too broad.")
    assert AccessRequest.objects.filter(status="pending").count() == 2
    form.get_by_role("button", name="Deny 2 requests").click()
    expect(page.locator(".flash-success")).to_contain_text("Denied 2 requests.")
    assert set(AccessRequest.objects.values_list("status", "reason")) == {("denied", "Too broad.")}


def test_with_javascript_revoke_opens_a_dialog_that_escape_closes(cast, page):
    grant = approved(cast, "deploy")
    sign_in(page, "olga")
    page.goto(f"{PATS}/active/")
    link = page.get_by_role("link", name="Revoke alice’s deploy…")
    link.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("alice’s token deploy loses access to acme; this cannot be undone.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    assert page.url.endswith(f"{PATS}/active/")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(link).to_be_focused()
    grant.refresh_from_db()
    assert grant.revoked_at is None

    link.click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke access").click()
    expect(page.locator(".flash-success")).to_contain_text("Revoked deploy's access to acme.")
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_with_javascript_revoke_selected_lists_the_tokens_in_the_dialog(cast, page):
    grants = [approved(cast, name) for name in ("deploy", "ci", "backup")]
    sign_in(page, "olga")
    page.goto(f"{PATS}/active/")
    page.get_by_label("Select all").check()
    page.get_by_role("button", name="Revoke selected (up to 100)…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("3 tokens lose access to acme; this cannot be undone:")
    for name in ("deploy", "ci", "backup"):
        expect(dialog.get_by_role("listitem").filter(has_text=name)).to_have_count(1)
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert Grant.objects.filter(pk__in=[g.pk for g in grants], revoked_at=None).count() == 3

    page.get_by_role("button", name="Revoke selected (up to 100)…").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke access of 3 tokens").click()
    expect(page.locator(".flash-success")).to_contain_text("Revoked access of 3 tokens.")
    assert Grant.objects.filter(pk__in=[g.pk for g in grants], revoked_at=None).count() == 0


def test_the_deny_reason_typed_in_the_dialog_reaches_the_holder(cast, page):
    access_request = waiting(cast, "deploy")
    sign_in(page, "olga")
    page.goto(f"{PATS}/requests/{access_request.pk}/")
    page.get_by_role("link", name="Deny…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("alice is emailed your reason")
    reason = dialog.get_by_label("Reason (sent to the requester)")
    expect(reason).to_be_focused()
    reason.fill("Ask for issues on the docs repository only.")
    dialog.get_by_role("button", name="Deny request").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Denied request #{access_request.pk}.")
    access_request.refresh_from_db()
    assert (access_request.status, access_request.reason) == ("denied", "Ask for issues on the docs repository only.")
    assert "Reason: Ask for issues on the docs repository only." in mail.outbox[-1].body
    assert mail.outbox[-1].to == [cast.alice.email]


def test_approving_stays_one_click(cast, page):
    access_request = waiting(cast, "deploy")
    sign_in(page, "olga")
    page.goto(f"{PATS}/requests/")
    page.get_by_role("button", name=f"Approve request #{access_request.pk}").click()
    expect(page.locator(".flash-success")).to_contain_text("Approved request")
    access_request.refresh_from_db()
    assert access_request.status == "approved"


def test_with_javascript_deny_selected_carries_the_reason_into_the_dialog(cast, page):
    first, second = waiting(cast, "one"), waiting(cast, "two")
    sign_in(page, "olga")
    page.goto(f"{PATS}/requests/")
    page.get_by_label("Select all").check()
    page.get_by_label("Reason (optional, shown to the requesters)").fill("Too broad.")
    page.get_by_role("button", name="Deny selected…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("2 requests to acme are denied")
    expect(dialog.get_by_label("Reason (sent to the requester)")).to_have_value("Too broad.")
    assert AccessRequest.objects.filter(pk__in=[first.pk, second.pk], status="pending").count() == 2
    dialog.get_by_role("button", name="Deny 2 requests").click()
    expect(page.locator(".flash-success")).to_contain_text("Denied 2 requests.")
    assert set(AccessRequest.objects.values_list("status", "reason")) == {("denied", "Too broad.")}
