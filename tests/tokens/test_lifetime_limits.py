"""Maximum lifetimes bound a new or regenerated token's expiry (behaviour §3), even without the form."""

import pytest
from django.core.exceptions import ValidationError

from organizations.services import membership_add
from policies.services import enterprise_policy_update, organization_policy_update
from tests.factories import classic_token, fine_grained_token
from tokens import services
from tokens.models import ClassicToken, FineGrainedToken


def refusal(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict["expires_in_days"][0]


def test_a_fine_grained_token_beyond_its_organizations_maximum_is_refused_naming_who_set_it(cast):
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=30)

    message = refusal(lambda: fine_grained_token(cast.alice, resource_owner=cast.acme, expires_in_days=31))

    assert message == "acme allows tokens that live at most 30 days; choose 30 days or fewer instead of 31 days."
    assert not FineGrainedToken.objects.filter(user=cast.alice).exists()


def test_no_expiration_is_refused_under_the_enterprises_maximum(cast):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=90)

    message = refusal(lambda: fine_grained_token(cast.alice, resource_owner=cast.acme, expires_in_days=None))

    assert message.startswith("The Big Corp enterprise allows tokens that live at most 90 days;")


def test_the_stricter_maximum_governs(cast):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=90)
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=14)

    assert refusal(lambda: fine_grained_token(cast.alice, resource_owner=cast.acme, expires_in_days=30)).startswith(
        "acme allows tokens that live at most 14 days"
    )
    assert fine_grained_token(cast.alice, resource_owner=cast.acme, expires_in_days=14).token.expires_at


def test_a_token_for_the_holders_own_resources_has_no_maximum(cast):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=7)

    assert fine_grained_token(cast.alice, expires_in_days=None).token.expires_at is None


def test_exempt_administrators_spares_the_organizations_owner_only(cast):
    enterprise_policy_update(
        enterprise=cast.bigcorp, fine_grained_max_lifetime_days=7, max_lifetime_exempts_owners=True
    )

    assert fine_grained_token(cast.olga, resource_owner=cast.acme, expires_in_days=None).token.expires_at is None
    refusal(lambda: fine_grained_token(cast.alice, resource_owner=cast.acme, expires_in_days=None))


def test_a_classic_token_is_bounded_by_the_strictest_enterprise_of_its_holders_organizations(cast):
    enterprise_policy_update(enterprise=cast.bigcorp, classic_max_lifetime_days=60)
    enterprise_policy_update(enterprise=cast.othercorp, classic_max_lifetime_days=10)
    membership_add(organization=cast.globex, user=cast.alice)

    message = refusal(lambda: classic_token(cast.alice, expires_in_days=30))

    assert message.startswith("The Other Corp enterprise allows tokens that live at most 10 days")
    assert not ClassicToken.objects.filter(user=cast.alice).exists()


def test_a_classic_token_of_an_enterprise_owner_is_bounded_by_that_enterprise(cast):
    enterprise_policy_update(enterprise=cast.bigcorp, classic_max_lifetime_days=30)

    refusal(lambda: classic_token(cast.erin, expires_in_days=None))


def test_regenerating_offers_no_way_around_the_maximum(cast):
    issued = classic_token(cast.alice, expires_in_days=None)
    enterprise_policy_update(enterprise=cast.bigcorp, classic_max_lifetime_days=30)

    message = refusal(lambda: services.token_regenerate(token=issued.token, actor=cast.alice, expires_in_days=None))

    assert "30 days or fewer instead of no expiration" in message
    issued.token.refresh_from_db()
    assert issued.token.expires_at is None
    assert services.token_regenerate(token=issued.token, actor=cast.alice, expires_in_days=30).token.expires_at


def test_a_regenerated_fine_grained_token_follows_its_resource_owners_maximum(cast):
    issued = fine_grained_token(cast.alice, resource_owner=cast.acme, expires_in_days=90)
    organization_policy_update(organization=cast.acme, fine_grained_max_lifetime_days=30)

    refusal(lambda: services.token_regenerate(token=issued.token, actor=cast.alice, expires_in_days=90))
