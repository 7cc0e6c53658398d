"""A holder's token pages in Chromium: the picker, the secret shown once, destructive actions confirmed."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import SSHKeyFactory, fine_grained_token, pending_request
from tokens.models import FineGrainedToken

pytestmark = pytest.mark.browser

SHOTS = "/tmp/i18-holder"


def shoot(page, name):
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_repository_picker_lists_only_the_chosen_owners_repositories(page, cast):
    sign_in(page, "alice")
    page.goto("/settings/tokens/new/")
    page.fill("#id_name", "deploy")
    page.check("#owner-acme")
    page.check("input[name=repository_access][value=selected]")
    visible = page.locator(".repository-picker [data-owner]:visible")
    owners = set(visible.evaluate_all("rows => rows.map(row => row.dataset.owner)"))
    assert owners == {"acme"}
    shoot(page, "picker")
    page.check("#owner-alice")
    owners = set(visible.evaluate_all("rows => rows.map(row => row.dataset.owner)"))
    assert owners == {"alice"}
    page.locator(".repository-picker [data-owner]:visible input").first.check()
    page.select_option("#id_permission_contents", "read")
    page.click("button[type=submit].primary")
    assert page.locator("#token-plaintext").is_visible()
    token = FineGrainedToken.objects.get(user=cast.alice, name="deploy")
    assert {repository.owner_login for repository in token.repositories.all()} == {"alice"}


def test_a_repository_ticked_for_one_owner_is_not_sent_for_another(page, cast):
    sign_in(page, "alice")
    page.goto("/settings/tokens/new/")
    page.fill("#id_name", "deploy")
    page.check("input[name=repository_access][value=selected]")
    page.locator(".repository-picker [data-owner=alice] input").first.check()
    page.check("#owner-acme")
    page.locator(".repository-picker [data-owner=acme] input").first.check()
    page.select_option("#id_permission_contents", "read")
    page.fill("#id_justification", "deploys")
    page.click("button[type=submit].primary")
    assert page.locator("#token-plaintext").is_visible()
    token = FineGrainedToken.objects.get(user=cast.alice, name="deploy")
    assert {repository.owner_login for repository in token.repositories.all()} == {"acme"}


def test_the_secret_is_shown_once_and_a_reload_does_not_resubmit(page, cast):
    sign_in(page, "alice")
    page.goto("/settings/tokens/new-classic/")
    page.fill("#id_note", "laptop")
    page.click("button[type=submit].primary")
    plaintext = page.text_content("#token-plaintext").strip()
    assert plaintext.startswith("patrol_cl_")
    assert "/secret/" in page.url
    shoot(page, "secret")
    page.reload()
    assert page.locator("#token-plaintext").count() == 0
    assert "This token's secret was shown once" in page.content()
    assert "already have a token" not in page.content()
    shoot(page, "secret-reloaded")


def test_delete_asks_first_and_says_what_happens(page, cast):
    token = fine_grained_token(cast.alice, name="deploy").token
    sign_in(page, "alice")
    page.goto(f"/settings/tokens/fine-grained/{token.pk}/")
    link = page.locator("a[data-confirm]", has_text="Delete")
    link.click()
    page.wait_for_selector("form.confirm-form")
    assert "deploy stops working everywhere at once; this cannot be undone." in page.text_content(".confirm-what")
    assert FineGrainedToken.objects.filter(pk=token.pk).exists()
    shoot(page, "delete-confirm")
    page.click("form.confirm-form button[type=submit]")
    page.wait_for_selector("text=Deleted deploy.")
    assert not FineGrainedToken.objects.filter(pk=token.pk).exists()


def test_regenerate_asks_first_then_shows_the_new_secret_once(page, cast):
    issued = fine_grained_token(cast.alice, name="deploy")
    sign_in(page, "alice")
    page.goto(f"/settings/tokens/fine-grained/{issued.token.pk}/")
    page.locator("a[data-confirm]", has_text="Regenerate").click()
    assert "this cannot be undone" in page.text_content(".confirm-what")
    page.click("form.confirm-form button[type=submit]")
    fresh = page.text_content("#token-plaintext").strip()
    assert fresh != issued.plaintext


def test_cancelling_a_request_asks_first_in_a_dialog(page, cast):
    token = fine_grained_token(
        cast.alice, name="deploy", resource_owner=cast.acme, permissions={"issues": "read"}
    ).token
    request = pending_request(token)
    sign_in(page, "alice")
    page.goto(f"/settings/tokens/fine-grained/{token.pk}/")
    link = page.get_by_role("link", name=f"Cancel request #{request.pk}")
    link.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(
        "Your request for Issues (read-only) in acme is withdrawn; the access the token already has stays."
    )
    expect(dialog.get_by_role("button", name="Keep the request")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(link).to_be_focused()
    request.refresh_from_db()
    assert request.status == "pending"

    link.click()
    page.get_by_role("dialog").get_by_role("button", name=f"Cancel request #{request.pk}").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Cancelled request #{request.pk}.")
    request.refresh_from_db()
    assert request.status == "cancelled"


def test_ticking_a_parent_scope_ticks_and_locks_its_children_and_unticking_releases_them(page, cast):
    from tests.factories import classic_token
    from tokens.models import ClassicToken

    token = classic_token(cast.alice, note="laptop", scopes=["gist"]).token
    sign_in(page, "alice")
    page.goto(f"/settings/tokens/classic/{token.pk}/")
    page.click("text=Edit")
    children = ["repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"]
    page.check("[data-scope='repo'] input")
    for scope in children:
        child = page.locator(f"[data-scope='{scope}'] input")
        assert child.is_checked() and child.is_disabled()
    shoot(page, "classic-edit")
    page.uncheck("[data-scope='repo'] input")
    for scope in children:
        child = page.locator(f"[data-scope='{scope}'] input")
        assert not child.is_checked() and child.is_enabled()
    page.check("[data-scope='admin:org'] input")
    assert page.locator("[data-scope='read:org'] input").is_disabled()
    page.fill("#id_note", "desktop")
    page.click("button[type=submit].primary")
    page.wait_for_selector("text=Saved desktop.")
    token.refresh_from_db()
    assert (token.note, token.scopes) == ("desktop", ["admin:org", "gist"])
    assert ClassicToken.objects.filter(user=cast.alice).count() == 1


def test_a_failed_form_opens_at_an_error_summary_whose_links_reach_the_fields(page, cast):
    sign_in(page, "alice")
    page.goto("/settings/tokens/new/")
    page.select_option("#id_expiration", "custom")
    page.click("button[type=submit].primary")
    summary = page.locator("#error-summary[role=alert]")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    box = summary.bounding_box()
    assert box["y"] < 400
    links = summary.locator("a")
    assert links.all_text_contents() == [
        "Name: This field is required.",
        "Custom days: Give a number of days from 1 to 366.",
    ]
    shoot(page, "error-summary")
    summary.locator("a[href='#id_name']").click()
    assert page.evaluate("document.activeElement.id") == "id_name"
    described = page.evaluate(
        "[...document.querySelectorAll('[aria-describedby]')].flatMap(e => e.getAttribute('aria-describedby')"
        ".split(' ')).filter(id => !document.getElementById(id))"
    )
    assert described == []


@pytest.mark.parametrize("action", ["Regenerate token", "Delete"])
def test_a_token_actions_dialog_is_named_by_its_question_and_cancel_stays_on_the_page(page, cast, action):
    token = fine_grained_token(
        cast.alice, name="deploy", resource_owner=cast.acme, permissions={"issues": "read"}
    ).token
    sign_in(page, "alice")
    page.goto(f"/settings/tokens/fine-grained/{token.pk}/")
    page.get_by_role("link", name=action, exact=True).click()
    question = "Regenerate deploy?" if action == "Regenerate token" else "Delete deploy?"
    dialog = page.get_by_role("dialog", name=question)
    expect(dialog).to_contain_text("this cannot be undone")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert page.url.endswith(f"/settings/tokens/fine-grained/{token.pk}/")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_deleting_an_ssh_key_asks_in_a_dialog_named_by_its_question(page, cast):
    key = SSHKeyFactory(user=cast.alice, title="laptop")
    sign_in(page, "alice")
    page.goto("/settings/tokens/ssh-keys/")
    page.get_by_role("link", name="Delete SSH key laptop").click()
    dialog = page.get_by_role("dialog", name="Delete SSH key laptop?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_role("link", name="Delete SSH key laptop").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete SSH key laptop").click()
    expect(page.get_by_role("row", name="laptop")).to_have_count(0)
    key.refresh_from_db()
    assert key.deleted_at is not None
