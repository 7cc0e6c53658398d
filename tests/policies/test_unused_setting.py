"""The enterprise's "Revoke unused personal access tokens" setting on its policy page (behaviour §5.1)."""

import pytest
from django.core.exceptions import ValidationError

from enterprises.models import Enterprise
from policies.services import enterprise_policy_update
from tests.policies.test_lifetime_settings import ENTERPRISE_CHOICES, enterprise_url, lifetime_events, save_enterprise

pytestmark = pytest.mark.django_db


def test_it_is_off_by_default(cast, erin):
    page = erin.get(enterprise_url(cast.bigcorp)).content.decode()
    assert cast.bigcorp.revoke_unused_after_days is None
    assert 'name="revoke_unused_after_days" id="id_revoke_unused_after_days" min="30" max="365"' in page
    assert "Unused tokens keep their access to Big Corp." in page


def test_an_enterprise_owner_turns_it_on_and_the_change_is_audited(cast, erin):
    response = save_enterprise(erin, cast.bigcorp, revoke_unused_after_days="90")

    assert Enterprise.objects.get(pk=cast.bigcorp.pk).revoke_unused_after_days == 90
    assert lifetime_events(enterprise=cast.bigcorp) == [("revoke_unused_after_days", None, 90)]
    assert (
        "Tokens unused for 90 days lose their access to Big Corp and its organizations; their holders are warned a "
        "week before." in response.content.decode()
    )


def test_an_empty_field_turns_it_off(cast, erin):
    enterprise_policy_update(enterprise=cast.bigcorp, revoke_unused_after_days=120)

    save_enterprise(erin, cast.bigcorp, revoke_unused_after_days="")

    assert Enterprise.objects.get(pk=cast.bigcorp.pk).revoke_unused_after_days is None
    assert lifetime_events(enterprise=cast.bigcorp)[-1] == ("revoke_unused_after_days", 120, None)


@pytest.mark.parametrize("value", ["29", "366", "0", "-90", "ninety", "9" * 400, "90.5", "\u202e90"])
def test_a_number_of_days_out_of_range_or_not_a_number_is_refused_naming_the_field(cast, erin, value):
    response = save_enterprise(erin, cast.bigcorp, revoke_unused_after_days=value)

    assert response.status_code == 400
    assert response.context["form"].errors["revoke_unused_after_days"] == [
        "Give a whole number of days from 30 to 365 under “Revoke tokens unused for (days)”, or leave it empty."
    ]
    assert Enterprise.objects.get(pk=cast.bigcorp.pk).policy_revision == 0


def test_a_nul_byte_changes_nothing(cast, erin):
    response = save_enterprise(erin, cast.bigcorp, revoke_unused_after_days="90\x00")

    assert response.status_code == 400
    assert Enterprise.objects.get(pk=cast.bigcorp.pk).revoke_unused_after_days is None


def test_a_stale_save_is_refused(cast, erin):
    cast.bigcorp.refresh_from_db()
    loaded_at = cast.bigcorp.policy_revision
    enterprise_policy_update(enterprise=cast.bigcorp, revoke_unused_after_days=60)

    response = erin.post(
        enterprise_url(cast.bigcorp),
        {**ENTERPRISE_CHOICES, "policy_revision": loaded_at, "revoke_unused_after_days": "200"},
    )

    assert response.status_code == 409
    assert Enterprise.objects.get(pk=cast.bigcorp.pk).revoke_unused_after_days == 60


def test_another_enterprises_owner_cannot_change_it(cast, oscar):
    response = oscar.post(
        enterprise_url(cast.bigcorp), {**ENTERPRISE_CHOICES, "policy_revision": 0, "revoke_unused_after_days": "30"}
    )

    assert response.status_code in (403, 404)
    assert Enterprise.objects.get(pk=cast.bigcorp.pk).revoke_unused_after_days is None


def test_the_service_refuses_a_number_out_of_range(cast):
    with pytest.raises(ValidationError):
        enterprise_policy_update(enterprise=cast.bigcorp, revoke_unused_after_days=7)
