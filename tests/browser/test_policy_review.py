"""The two-step Save in Chromium, on both policy pages: Review changes, read what it would do, then Save or
go Back (behaviour §5.1, §5.2)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from enterprises.models import Enterprise
from organizations.models import Organization
from tests.browser.conftest import sign_in
from tests.factories import FineGrainedTokenFactory, GrantFactory

pytestmark = pytest.mark.browser

RESTRICT = "Restrict access via fine-grained personal access tokens"
PAGES = [
    pytest.param("olga", lambda: reverse("organization_pat_settings", args=["acme"]), Organization, "acme", id="org"),
    pytest.param(
        "erin",
        lambda: reverse("admin:enterprises_enterprise_pat_policies", args=["bigcorp"]),
        Enterprise,
        "bigcorp",
        id="enterprise",
    ),
]


@pytest.fixture
def deploy(cast):
    """alice's approved token for all of acme's repositories."""
    token = FineGrainedTokenFactory(
        user=cast.alice,
        resource_owner=cast.acme,
        name="deploy",
        permissions={"contents": "read"},
        repository_access="all",
    )
    GrantFactory(token=token)
    return token


def _stored(model, key):
    return model.objects.get(**{"login" if model is Organization else "slug": key}).fine_grained_access


def _review_restricting(page, user, url):
    sign_in(page, user)
    page.goto(url())
    page.get_by_role("group", name=RESTRICT).get_by_label(RESTRICT).check()
    page.get_by_role("button", name="Review changes").click()


@pytest.mark.parametrize(("user", "url", "model", "key"), PAGES)
def test_review_changes_shows_what_saving_would_do_and_saves_nothing(cast, page, deploy, user, url, model, key):
    before = _stored(model, key)
    _review_restricting(page, user, url)

    review = page.get_by_role("region", name="Review changes")
    expect(review).to_contain_text("This change would cut off 1 token of 1 person in 1 organization.")
    row = review.get_by_role("row", name="deploy")
    expect(row).to_contain_text("alice")
    expect(row).to_contain_text("Fine-grained tokens restricted")
    expect(page.get_by_role("group", name=RESTRICT).get_by_label(RESTRICT)).to_be_checked()
    assert _stored(model, key) == before


@pytest.mark.parametrize(("user", "url", "model", "key"), PAGES)
def test_save_after_the_review_saves_the_change(cast, page, deploy, user, url, model, key):
    _review_restricting(page, user, url)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("Personal access token policies saved.")).to_be_visible()
    expect(page.get_by_role("region", name="Review changes")).to_have_count(0)
    assert _stored(model, key) == "restrict"


@pytest.mark.parametrize(("user", "url", "model", "key"), PAGES)
def test_back_leaves_the_review_and_saves_nothing(cast, page, deploy, user, url, model, key):
    before = _stored(model, key)
    _review_restricting(page, user, url)
    page.get_by_role("link", name="Back").click()

    expect(page.get_by_role("button", name="Review changes")).to_be_visible()
    expect(page.get_by_role("region", name="Review changes")).to_have_count(0)
    assert _stored(model, key) == before


@pytest.mark.parametrize(("user", "url", "model", "key"), PAGES)
def test_a_save_after_another_owner_saved_asks_for_a_new_review(cast, page, deploy, user, url, model, key):
    _review_restricting(page, user, url)
    instance = model.objects.get(**{"login" if model is Organization else "slug": key})
    model.objects.filter(pk=instance.pk).update(policy_revision=instance.policy_revision + 1)
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("The policy changed since you loaded it")).to_be_visible()
    assert _stored(model, key) != "restrict"
