"""The Content-Security-Policy in Chromium (issue 16): each persona's main pages
report no violation, and the scripts moved out of the templates still work."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from organizations.services import user_make_site_administrator
from tests.browser.conftest import sign_in
from tests.factories import AccessRequestFactory, GrantFactory, UserFactory

pytestmark = pytest.mark.browser

READ = {"contents": "read"}


@pytest.fixture
def violations(page):
    """What Chromium reports against the policies (CSP, Permissions-Policy), and any script error, on `page`."""
    seen = []
    reported = ("Content Security Policy", "Permissions-Policy")

    def on_console(message):
        if any(policy in message.text for policy in reported):
            seen.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(f"script error: {error}"))
    return seen


@pytest.fixture
def queue(cast):
    """Two pending requests and two approved grants on acme."""
    pending = [
        AccessRequestFactory(user=cast.alice, name=name, organization=cast.acme, permissions=READ)
        for name in ("build", "lint")
    ]
    granted = [
        GrantFactory(user=cast.alice, name=name, organization=cast.acme, permissions=READ)
        for name in ("deploy", "backup")
    ]
    return pending, granted


def visit(page, path):
    response = page.goto(path)
    assert response.ok, f"{path}: {response.status}"
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        pytest.param(
            "erin",
            lambda cast: [
                "/admin/",
                reverse("admin:enterprises_enterprise_account", args=["bigcorp"]),
                reverse("admin:enterprises_enterprise_pat_policies", args=["bigcorp"]),
                reverse("admin:tokens_finegrainedtoken_changelist"),
                reverse("admin:tokens_finegrainedtoken_change", args=[cast.alice.fine_grained_tokens.first().pk]),
                reverse("admin:organizations_membership_add"),
            ],
            id="enterprise owner",
        ),
        pytest.param(
            "root",
            lambda cast: [
                reverse("admin:enterprises_enterprise_settings"),
                reverse("admin:auth_group_add"),
                reverse("admin:organizations_user_changelist"),
            ],
            id="site administrator",
        ),
        pytest.param(
            "olga",
            lambda cast: [
                reverse("organization_pat_settings", args=["acme"]),
                reverse("tokens:org-requests", args=["acme"]),
                reverse("tokens:org-active", args=["acme"]),
                reverse("organization_audit_log", args=["acme"]),
            ],
            id="organization owner",
        ),
        pytest.param(
            "alice",
            lambda cast: [
                reverse("tokens:list"),
                reverse("tokens:fine-grained-new"),
                reverse("tokens:classic-new"),
                reverse("tokens:fine-grained-detail", args=[cast.alice.fine_grained_tokens.first().pk]),
            ],
            id="member",
        ),
    ],
)
def test_no_page_of_a_persona_reports_a_policy_violation(cast, queue, page, violations, username, paths):
    user_make_site_administrator(user=UserFactory(username="root"))
    sign_in(page, username)
    for path in paths(cast):
        visit(page, path)
    assert violations == []


def test_the_sign_in_page_reports_no_policy_violation(cast, page, violations):
    visit(page, "/login/")
    visit(page, "/admin/login/")
    assert violations == []


def test_the_api_docs_render_their_operations_without_a_policy_violation(db, page, violations):
    visit(page, "/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    assert violations == []


@pytest.mark.parametrize(
    ("url", "checkbox"),
    [("tokens:org-requests", "request_ids"), ("tokens:org-active", "grant_ids")],
    ids=["pending requests", "active tokens"],
)
def test_select_all_ticks_and_clears_every_row_of_the_queue(cast, queue, page, violations, url, checkbox):
    sign_in(page, "olga")
    visit(page, reverse(url, args=["acme"]))
    rows = page.locator(f"input[name={checkbox}]")
    assert rows.count() == 2

    page.check("#select-all")
    for index in range(rows.count()):
        expect(rows.nth(index)).to_be_checked()
    page.uncheck("#select-all")
    for index in range(rows.count()):
        expect(rows.nth(index)).not_to_be_checked()
    assert violations == []


def test_the_copy_button_puts_the_new_token_on_the_clipboard(cast, page, violations):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, "alice")
    visit(page, reverse("tokens:classic-new"))
    page.fill("#id_note", "laptop")
    page.click("button[type=submit].primary")
    plaintext = page.text_content("#token-plaintext").strip()
    page.wait_for_load_state("load")  # copy.js has bound the button: on a busy machine the text comes first

    page.click("button[data-copy-target]")
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == plaintext
    assert violations == []


def test_the_repository_picker_shows_the_chosen_owners_repositories(cast, page, violations):
    sign_in(page, "alice")
    visit(page, reverse("tokens:fine-grained-new"))
    picker = page.locator("#repository-picker")
    expect(picker).to_be_hidden()

    page.check("#owner-acme")
    page.check("input[name=repository_access][value=selected]")
    expect(picker).to_be_visible()
    expect(picker.get_by_label("acme/web")).to_be_visible()
    expect(picker.get_by_label("alice/dotfiles")).to_be_hidden()
    expect(page.locator("#justification")).to_be_visible()

    page.check("#owner-alice")
    expect(picker.get_by_label("alice/dotfiles")).to_be_visible()
    expect(picker.get_by_label("acme/web")).to_be_hidden()
    expect(page.locator("#justification")).to_be_hidden()

    page.check("input[name=repository_access][value=all]")
    expect(picker).to_be_hidden()
    assert violations == []
