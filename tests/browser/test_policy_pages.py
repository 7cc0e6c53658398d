"""GitHub's five steps in Chromium, for each policy and each of its choices (behaviour §5.1, §5.2)."""

import pytest
from playwright.sync_api import expect

from enterprises.models import Enterprise
from policies.forms import ENTERPRISE_POLICIES
from policies.services import enterprise_policy_update
from tests.browser.conftest import review_and_save, sign_in

pytestmark = pytest.mark.browser

CHOICES = [
    pytest.param(policy, value, label, id=f"{policy.name}-{value}")
    for policy in ENTERPRISE_POLICIES
    for value, label in policy.choices.choices
]


def open_enterprise_pat_policies(page):
    """Steps 1–3: user menu → Enterprise settings → Policies → Personal access tokens."""
    page.goto("/admin/")
    page.locator("#user-tools").get_by_role("link", name="Enterprise settings").click()
    sidebar = page.get_by_role("navigation", name="Enterprise account")
    sidebar.get_by_role("link", name="Policies").click()
    sidebar.get_by_role("link", name="Personal access tokens").click()


def section(page, heading):
    return page.get_by_role("group", name=heading)


@pytest.mark.parametrize(("policy", "value", "label"), CHOICES)
def test_an_enterprise_owner_sets_each_choice_of_each_policy(cast, page, policy, value, label):
    # Start from a different choice, so that every Save changes something.
    other = next(choice for choice in policy.choices.values if choice != value)
    enterprise_policy_update(enterprise=cast.bigcorp, **{policy.name: other})
    sign_in(page, "erin")
    open_enterprise_pat_policies(page)

    group = section(page, policy.heading)
    expect(group.locator(f'input[value="{other}"]')).to_be_checked()
    group.get_by_label(label).check()  # step 4
    review_and_save(page)  # step 5, in two steps

    expect(page.get_by_text("Personal access token policies saved.")).to_be_visible()
    expect(section(page, policy.heading).get_by_label(label)).to_be_checked()
    cast.bigcorp.refresh_from_db()
    assert getattr(cast.bigcorp, policy.name) == value


def test_an_enterprise_not_opted_in_is_prompted_first(cast, page):
    Enterprise.objects.filter(pk=cast.bigcorp.pk).update(fine_grained_opted_in=False)
    sign_in(page, "erin")
    open_enterprise_pat_policies(page)

    expect(page.get_by_role("group", name=ENTERPRISE_POLICIES[0].heading)).to_have_count(0)
    page.get_by_role("button", name="Opt in to fine-grained personal access tokens").click()

    expect(page.get_by_text("Big Corp opted in to fine-grained personal access tokens.")).to_be_visible()
    for policy in ENTERPRISE_POLICIES:
        expect(section(page, policy.heading)).to_be_visible()
    cast.bigcorp.refresh_from_db()
    assert cast.bigcorp.fine_grained_opted_in


def test_a_stale_save_is_refused_with_the_current_values(cast, page):
    sign_in(page, "erin")
    open_enterprise_pat_policies(page)
    second = page.context.new_page()
    second.goto(page.url)

    section(second, "Restrict personal access tokens (classic) from accessing your organizations").get_by_label(
        "Restrict access via personal access tokens (classic)"
    ).check()
    review_and_save(second)
    expect(second.get_by_text("Personal access token policies saved.")).to_be_visible()

    section(page, "Restrict access via fine-grained personal access tokens").get_by_label(
        "Allow access via fine-grained personal access tokens"
    ).check()
    page.get_by_role("button", name="Review changes").click()

    expect(page.get_by_text("The policy changed since you loaded it")).to_be_visible()
    classic = section(page, "Restrict personal access tokens (classic) from accessing your organizations")
    expect(classic.get_by_label("Restrict access via personal access tokens (classic)")).to_be_checked()
    fine_grained = section(page, "Restrict access via fine-grained personal access tokens")
    expect(fine_grained.get_by_label("Allow organizations to configure access requirements")).to_be_checked()
    cast.bigcorp.refresh_from_db()
    assert (cast.bigcorp.fine_grained_access, cast.bigcorp.classic_access) == ("org_configurable", "restrict")


def test_an_organization_owner_sees_a_policy_the_enterprise_enforces_locked(cast, page):
    enterprise_policy_update(enterprise=cast.bigcorp, classic_access="restrict")
    sign_in(page, "olga")
    page.get_by_role("link", name="Personal access token settings").click()

    locked = section(page, "Restrict personal access tokens (classic) from accessing your organization")
    expect(locked).to_have_class("policy-section locked")
    expect(locked).to_contain_text(
        "Your enterprise, Big Corp, enforces “Restrict access via personal access tokens (classic)” "
        "for all its organizations; acme cannot change it."
    )
    expect(locked.get_by_label("Restrict access via personal access tokens (classic)")).to_be_checked()
    expect(locked.get_by_role("radio")).to_have_count(2)
    for radio in locked.get_by_role("radio").all():
        expect(radio).to_be_disabled()

    open_section = section(page, "Restrict access via fine-grained personal access tokens")
    open_section.get_by_label("Restrict access via fine-grained personal access tokens").check()
    review_and_save(page)
    expect(page.get_by_text("Personal access token policies saved.")).to_be_visible()
    cast.acme.refresh_from_db()
    assert (cast.acme.fine_grained_access, cast.acme.classic_access) == ("restrict", "allow")


def test_another_enterprises_url_answers_404(cast, page):
    sign_in(page, "erin")
    response = page.goto("/admin/enterprises/enterprise/othercorp/settings/policies/personal-access-tokens/")
    assert response.status == 404
    expect(page.get_by_role("group", name=ENTERPRISE_POLICIES[0].heading)).to_have_count(0)
