"""An enterprise owner filters the credentials inventory and revokes two credentials, in Chromium (behaviour §5.1)."""

import pytest
from playwright.sync_api import expect

from tests.factories import SSHKeyFactory, classic_token, fine_grained_token
from tokens.models import EnterpriseCredentialRevocation, Grant

pytestmark = pytest.mark.browser


def admin_sign_in(page, username, password="password"):
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state()


def test_an_owner_filters_selects_two_and_revokes_them_after_confirming(cast, page):
    token = fine_grained_token(
        cast.alice, name="deploy", resource_owner=cast.acme, approved=True, permissions={"contents": "read"}
    ).token
    classic = classic_token(cast.alice, note="laptop", scopes=["repo"]).token
    SSHKeyFactory(user=cast.emu_bob, title="bob-laptop")
    admin_sign_in(page, "erin")
    page.locator("#user-tools").get_by_role("link", name="Enterprise settings").click()
    page.get_by_role("navigation", name="Enterprise account").get_by_role("link", name="Credentials").click()
    expect(page.get_by_role("img", name="Credentials by type")).to_be_visible()

    page.get_by_label("Search").fill("alice")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("2 credentials match.")).to_be_visible()
    page.get_by_label("Select Fine-grained personal access token deploy of alice").check()
    page.get_by_label(f"Select Personal access token (classic) {classic.masked} of alice").check()
    page.get_by_role("button", name="Revoke selected…").click()

    expect(page.get_by_role("heading", name="Revoke access to Big Corp?")).to_be_visible()
    expect(page.locator("form.confirm-form")).to_contain_text("2 credentials will lose their access to Big Corp")
    assert not EnterpriseCredentialRevocation.objects.exists()
    page.get_by_role("button", name="Revoke access").click()

    expect(page.get_by_text("Revoked the access of 2 credentials to Big Corp.")).to_be_visible()
    expect(page.get_by_text("1 credential matches.")).to_be_visible()
    assert Grant.objects.get(token=token).revoked_by == cast.erin
    assert EnterpriseCredentialRevocation.objects.get().classic_token == classic
