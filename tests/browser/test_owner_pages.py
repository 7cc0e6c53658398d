"""The owners' pages in Chromium: wording under an enterprise-enforced policy, the filters, and axe (issue 18)."""

import pytest
from playwright.sync_api import expect

from organizations.models import Organization
from policies.services import enterprise_policy_update
from tests.browser.axe import violations
from tests.browser.conftest import sign_in
from tests.factories import fine_grained_token, grant_of, pending_request
from tokens.engine.catalogue import PERMISSION_DESCRIPTIONS

pytestmark = pytest.mark.browser

PATS = "/orgs/acme/settings/personal-access-tokens"

# WCAG's contrast of the computed text colour (opacity included) against the page's background.
CONTRAST = """(element) => {
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  let opacity = 1;
  for (let node = element; node; node = node.parentElement) { opacity *= Number(getComputedStyle(node).opacity); }
  let background = [255, 255, 255];
  for (let node = element; node; node = node.parentElement) {
    const color = rgb(getComputedStyle(node).backgroundColor);
    if (color.length < 4 || color[3] > 0) { background = color.slice(0, 3); break; }
  }
  const mix = (c, i) => c * opacity + background[i] * (1 - opacity);
  const fg = rgb(getComputedStyle(element).color).slice(0, 3).map(mix);
  const [light, dark] = [luminance(fg), luminance(background)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}"""


def test_an_enterprise_enforced_restrict_is_said_and_its_options_stay_readable(cast, page):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_access="restrict")
    sign_in(page, "olga")
    page.goto(f"{PATS}/")
    expect(page.locator("#in-force")).to_contain_text(
        "Your enterprise, Big Corp, restricts fine-grained personal access tokens"
    )
    expect(page.locator("main")).not_to_contain_text("enabled")
    locked = page.get_by_role("group", name="Restrict access via fine-grained personal access tokens")
    expect(locked).to_contain_text("Set by your enterprise")
    expect(locked).to_contain_text("acme cannot change it")
    for label in locked.locator(".radio-option label").all():
        assert label.evaluate(CONTRAST) >= 4.5
    for note in locked.locator(".radio-option .note").all():
        assert note.evaluate(CONTRAST) >= 4.5
    assert violations(page) == []


def test_the_enterprise_page_says_what_holds_for_its_organizations(cast, page):
    enterprise_policy_update(enterprise=cast.bigcorp, classic_access="restrict")
    sign_in(page, "erin")
    page.goto(f"/admin/enterprises/enterprise/{cast.bigcorp.slug}/settings/policies/personal-access-tokens/")
    expect(page.locator("#in-force")).to_contain_text(
        "Personal access tokens (classic) cannot access Big Corp or its organizations"
    )


def test_the_permission_filter_lists_titles_grouped_by_kind(cast, page):
    wanted = fine_grained_token(
        cast.alice, resource_owner=cast.acme, name="writer", permissions={"contents": "write"}
    ).token
    pending_request(wanted)
    other = fine_grained_token(cast.alice, resource_owner=cast.acme, name="reader", permissions={"issues": "read"})
    pending_request(other.token)
    sign_in(page, "olga")
    page.goto(f"{PATS}/requests/")
    select = page.get_by_label("Permission")
    groups = select.locator("optgroup").evaluate_all("groups => groups.map(g => g.label)")
    assert groups == ["Repository permissions", "Organization permissions", "Account permissions"]
    assert "contents:" not in select.inner_text()
    select.select_option(label=f"Contents: write — {PERMISSION_DESCRIPTIONS['contents']}")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("writer")
    expect(rows).to_contain_text("Contents: write")
    expect(rows.locator(".state-pending")).to_have_text("Pending")


def test_what_a_rows_permissions_allow_opens_from_the_keyboard(cast, page):
    pending_request(
        fine_grained_token(cast.alice, resource_owner=cast.acme, name="ci", permissions={"issues": "read"}).token
    )
    sign_in(page, "olga")
    page.goto(f"{PATS}/requests/")
    description = page.locator("table.queue").get_by_text(PERMISSION_DESCRIPTIONS["issues"])
    expect(description).to_be_hidden()
    page.get_by_text("What this permission allows").focus()
    page.keyboard.press("Enter")
    expect(description).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_owner_pages_have_no_serious_violations(cast, page, scheme):
    grant = grant_of(
        fine_grained_token(
            cast.alice, resource_owner=cast.acme, approved=True, name="deploy", repository_access="all"
        ).token
    )
    waiting = pending_request(
        fine_grained_token(cast.alice, resource_owner=cast.acme, name="ci", permissions={"issues": "read"}).token
    )
    page.emulate_media(color_scheme=scheme)
    sign_in(page, "olga")
    for path in (
        f"{PATS}/",
        f"{PATS}/requests/",
        f"{PATS}/requests/{waiting.pk}/",
        f"{PATS}/requests/{waiting.pk}/deny/",
        f"{PATS}/active/",
        f"{PATS}/active/{grant.pk}/",
        f"{PATS}/active/{grant.pk}/revoke/",
        f"{PATS}/active/revoke/?grant_ids={grant.pk}",
    ):
        page.goto(path)
        assert violations(page) == [], path


def test_the_admin_organization_list_says_who_opted_in(cast, page):
    Organization.objects.filter(pk=cast.acme.pk).update(fine_grained_opted_in=False)
    sign_in(page, "erin")
    page.goto("/admin/organizations/organization/")
    row = page.get_by_role("row").filter(has_text="acme")
    expect(row).to_contain_text("✓ Opted in through its enterprise, Big Corp")
