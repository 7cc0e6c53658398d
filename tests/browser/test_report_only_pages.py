"""Report-only policies in Chromium (behaviour §5.8): stage beside Save, read the report, Enforce now, Discard."""

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from policies.models import StagedPolicy
from tests.browser.conftest import sign_in
from tests.factories import classic_token
from tokens.engine.access import check_many
from tokens.engine.facts import CheckInput, parse_resource

pytestmark = pytest.mark.browser

PATS = "/orgs/acme/settings/personal-access-tokens/"
CLASSIC = "Personal access tokens (classic)"


def alice_checks_acme_web(cast, times=1):
    token = classic_token(cast.alice, note="laptop", scopes=["repo"])
    check = CheckInput(resource=parse_resource("acme/web"), permission="contents", level="read", token=token.plaintext)
    check_many([check] * times)
    return token.token


def stage_classic_restriction(page):
    page.goto(PATS)
    page.get_by_role("group", name=CLASSIC).get_by_label("Restrict access via personal access tokens (classic)").check()
    page.get_by_role("button", name="Stage as report only").click()


def test_an_owner_stages_a_policy_and_reads_which_checks_it_would_refuse(cast, page):
    sign_in(page, "olga")
    stage_classic_restriction(page)

    expect(page).to_have_url(f"{page.url.split('/orgs/')[0]}{PATS}report-only/")
    expect(page.get_by_role("heading", name="Report-only policy")).to_be_visible()
    expect(page.locator(".report-only-changes")).to_contain_text(
        "Allow access via personal access tokens (classic) → Restrict access via personal access tokens (classic)"
    )
    expect(page.locator("#no-flips")).to_be_visible()

    token = alice_checks_acme_web(cast, times=3)
    page.reload()

    row = page.locator("table.report-only tbody tr")
    expect(row).to_have_count(1)
    for cell, words in [
        ("Holder", "alice"),
        ("Token", token.masked),
        ("Resource", "acme/web"),
        ("Permission", "Contents (read-only)"),
        ("Now", "Allowed"),
        ("Would be", "Refused: classic tokens restricted"),
        ("Checks", "3"),
    ]:
        expect(row.locator(f'td[data-label="{cell}"]')).to_contain_text(words)
    cast.acme.refresh_from_db()
    assert cast.acme.classic_access == "allow"  # checks still decide under the saved policy


def test_enforce_now_asks_in_a_dialog_then_saves_the_staged_policy(cast, page):
    sign_in(page, "olga")
    stage_classic_restriction(page)

    page.get_by_role("link", name="Enforce now…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("decide every check from now on")
    dialog.get_by_role("button", name="Enforce now").click()

    expect(page.locator(".flash-success")).to_contain_text("Report-only policy enforced")
    expect(
        page.get_by_role("group", name=CLASSIC).get_by_label("Restrict access via personal access tokens (classic)")
    ).to_be_checked()
    assert not StagedPolicy.objects.exists()
    assert AuditEvent.objects.filter(action="organization.pat_policy_staging_enforced").count() == 1


def test_discard_can_be_cancelled_and_then_deletes_the_report(cast, page):
    sign_in(page, "olga")
    stage_classic_restriction(page)

    page.get_by_role("link", name="Discard…").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert StagedPolicy.objects.exists()

    page.get_by_role("link", name="Discard…").click()
    page.get_by_role("dialog").get_by_role("button", name="Discard").click()

    expect(page.locator(".flash-success")).to_contain_text("Report-only policy discarded")
    expect(page.locator("#nothing-staged")).to_be_visible()
    cast.acme.refresh_from_db()
    assert cast.acme.classic_access == "allow"


def test_an_enterprise_owner_stages_and_enforces_from_the_admin(cast, page):
    sign_in(page, "erin")
    page.goto("/admin/enterprises/enterprise/bigcorp/settings/policies/personal-access-tokens/")
    page.get_by_role("group", name=CLASSIC).get_by_label("Restrict access via personal access tokens (classic)").check()
    page.get_by_role("button", name="Stage as report only").click()
    alice_checks_acme_web(cast)
    page.reload()

    expect(page.locator("table.report-only tbody tr")).to_contain_text("Refused: classic tokens restricted")
    page.get_by_role("link", name="Enforce now…").click()
    page.get_by_role("button", name="Enforce now").click()

    expect(page.get_by_text("Report-only policy enforced")).to_be_visible()
    cast.bigcorp.refresh_from_db()
    assert cast.bigcorp.classic_access == "restrict"
