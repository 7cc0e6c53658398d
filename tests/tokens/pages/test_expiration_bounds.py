"""The expiration choices follow the maximum lifetime that governs the token (behaviour §3, §5.2)."""

import re

from policies.services import enterprise_policy_update, organization_policy_update
from tests.factories import classic_token, fine_grained_token
from tests.tokens.pages.test_token_create import NEW, fine_grained_post
from tokens.models import ClassicToken, FineGrainedToken

NEW_CLASSIC = "/settings/tokens/new-classic/"


def offered(page: str) -> list[str]:
    """The expiration values a holder can pick (hidden ones are disabled too)."""
    select = re.search(r'<select name="expiration".*?</select>', page, re.S).group(0)
    return [value for value, attrs in re.findall(r'<option value="([^"]*)"([^>]*)>', select) if "disabled" not in attrs]


def test_the_classic_form_offers_only_expirations_within_the_enterprises_maximum(as_user, cast):
    enterprise_policy_update(enterprise=cast.bigcorp, classic_max_lifetime_days=60)

    page = as_user(cast.alice).get(NEW_CLASSIC).content.decode()

    assert offered(page) == ["7", "30", "60", "custom"]
    assert "The Big Corp enterprise allows tokens that live at most 60 days, so “No expiration” is not offered." in page
    assert 'max="60"' in page


def test_without_a_maximum_every_expiration_is_offered(as_user, cast):
    page = as_user(cast.alice).get(NEW_CLASSIC).content.decode()

    assert offered(page) == ["7", "30", "60", "90", "custom", "none"]


def test_a_maximum_shorter_than_every_preset_starts_on_custom_at_the_maximum(as_user, cast):
    enterprise_policy_update(enterprise=cast.bigcorp, classic_max_lifetime_days=5)

    page = as_user(cast.alice).get(NEW_CLASSIC).content.decode()

    assert offered(page) == ["custom"]
    assert re.search(r'<option value="custom"[^>]*selected', page)
    assert re.search(r'name="custom_days" value="5"', page)


def test_a_posted_expiration_beyond_the_maximum_is_refused_on_its_field(as_user, cast):
    enterprise_policy_update(enterprise=cast.bigcorp, classic_max_lifetime_days=60)

    response = as_user(cast.alice).post(NEW_CLASSIC, {"note": "ci", "expiration": "none"})

    assert response.status_code == 200
    assert response.context["form"].errors["expiration"] == [
        "The Big Corp enterprise allows tokens that live at most 60 days; choose 60 days or fewer."
    ]
    assert not ClassicToken.objects.exists()


def test_a_custom_expiration_beyond_the_maximum_is_refused_on_the_days(as_user, cast):
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=20)

    response = as_user(cast.alice).post(NEW, fine_grained_post(cast, expiration="custom", custom_days="21"))

    assert response.context["form"].errors["custom_days"] == [
        "acme allows tokens that live at most 20 days; choose 20 days or fewer."
    ]
    assert not FineGrainedToken.objects.exists()


def test_the_fine_grained_form_names_each_organizations_maximum(as_user, cast):
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=20)

    page = as_user(cast.alice).get(NEW).content.decode()

    assert 'data-lifetime-days="20"' in page
    assert "acme allows tokens that live at most 20 days." in page
    assert offered(page) == ["7", "30", "60", "90", "custom", "none"]  # the holder's own account is chosen first


def test_the_fine_grained_form_after_a_refusal_offers_what_the_chosen_owner_allows(as_user, cast):
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=20)

    response = as_user(cast.alice).post(NEW, fine_grained_post(cast, expiration="30"))

    assert offered(response.content.decode()) == ["7", "custom"]


def test_regenerating_offers_only_what_the_resource_owner_allows(as_user, cast):
    issued = fine_grained_token(cast.alice, resource_owner=cast.acme, expires_in_days=90)
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=30)

    page = as_user(cast.alice).get(f"/settings/tokens/fine-grained/{issued.token.pk}/regenerate/").content.decode()

    assert offered(page) == ["7", "30", "custom"]


def test_regenerating_refuses_no_expiration_under_a_maximum(as_user, cast):
    issued = classic_token(cast.alice, expires_in_days=None)
    enterprise_policy_update(enterprise=cast.bigcorp, classic_max_lifetime_days=30)

    response = as_user(cast.alice).post(
        f"/settings/tokens/classic/{issued.token.pk}/regenerate/", {"expiration": "none"}
    )

    assert "expiration" in response.context["form"].errors
    issued.token.refresh_from_db()
    assert issued.token.expires_at is None


def test_editing_a_token_that_outlives_a_new_maximum_says_so_and_points_to_regenerate(as_user, cast):
    issued = fine_grained_token(cast.alice, resource_owner=cast.acme, expires_in_days=90)
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=30)

    page = as_user(cast.alice).get(f"/settings/tokens/fine-grained/{issued.token.pk}/edit/").content.decode()

    assert "acme allows tokens that live at most 30 days; this token lives longer, so it is refused there." in page
    assert f'href="/settings/tokens/fine-grained/{issued.token.pk}/regenerate/"' in page


def test_editing_a_token_within_the_maximum_says_nothing_of_it(as_user, cast):
    issued = fine_grained_token(cast.alice, resource_owner=cast.acme, expires_in_days=30)
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=30)

    page = as_user(cast.alice).get(f"/settings/tokens/fine-grained/{issued.token.pk}/edit/").content.decode()

    assert "lifetime-warning" not in page
