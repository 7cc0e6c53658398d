"""Maximum lifetimes on both policy pages: Save, stale saves, audit, locked display, outliving tokens (behaviour §3)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from enterprises.models import Enterprise
from organizations.models import Organization
from policies.services import enterprise_policy_update, organization_policy_update
from tests.factories import classic_token, fine_grained_token

pytestmark = pytest.mark.django_db

ENTERPRISE_CHOICES = {
    "fine_grained_access": "org_configurable",
    "fine_grained_approval": "org_configurable",
    "classic_access": "org_configurable",
}
ORGANIZATION_CHOICES = {"fine_grained_access": "allow", "fine_grained_approval": "require", "classic_access": "allow"}


def enterprise_url(enterprise):
    return reverse("admin:enterprises_enterprise_pat_policies", args=[enterprise.slug])


def organization_url(organization):
    return reverse("organization_pat_settings", args=[organization.login])


def save_enterprise(client, enterprise, **values):
    enterprise.refresh_from_db()
    data = {**ENTERPRISE_CHOICES, "policy_revision": enterprise.policy_revision, **values}
    return client.post(enterprise_url(enterprise), data, follow=True)


def save_organization(client, organization, **values):
    organization.refresh_from_db()
    data = {**ORGANIZATION_CHOICES, "policy_revision": organization.policy_revision, **values}
    return client.post(organization_url(organization), data, follow=True)


def lifetime_events(**scope):
    return [
        (event.data["policy"], event.data["old"], event.data["new"])
        for event in AuditEvent.objects.filter(action__endswith="pat_policy_changed", **scope).order_by("pk")
    ]


# --- The enterprise's page ---------------------------------------------------


def test_an_enterprise_owner_sets_both_maximums_and_exempts_administrators(cast, erin):
    response = save_enterprise(
        erin,
        cast.bigcorp,
        fine_grained_max_lifetime_days="90",
        classic_max_lifetime_days="30",
        max_lifetime_exempts_owners="on",
    )

    cast.bigcorp.refresh_from_db()
    assert (cast.bigcorp.fine_grained_max_lifetime_days, cast.bigcorp.classic_max_lifetime_days) == (90, 30)
    assert cast.bigcorp.max_lifetime_exempts_owners is True
    assert lifetime_events(enterprise=cast.bigcorp) == [
        ("fine_grained_max_lifetime_days", None, 90),
        ("classic_max_lifetime_days", None, 30),
        ("max_lifetime_exempts_owners", False, True),
    ]
    assert "fine-grained tokens may live at most 90 days and classic tokens may live at most 30 days" in (
        response.content.decode()
    )


def test_an_empty_field_removes_a_maximum(cast, erin):
    enterprise_policy_update(enterprise=cast.bigcorp, classic_max_lifetime_days=30)

    save_enterprise(erin, cast.bigcorp, classic_max_lifetime_days="")

    assert Enterprise.objects.get(pk=cast.bigcorp.pk).classic_max_lifetime_days is None
    assert lifetime_events(enterprise=cast.bigcorp)[-1] == ("classic_max_lifetime_days", 30, None)


@pytest.mark.parametrize("value", ["0", "367", "-5", "ninety", "9" * 400, "1.5", " "])
def test_a_lifetime_out_of_range_or_not_a_number_is_refused_naming_the_field(cast, erin, value):
    response = save_enterprise(erin, cast.bigcorp, fine_grained_max_lifetime_days=value)

    assert response.status_code == 400
    assert response.context["form"].errors["fine_grained_max_lifetime_days"] == [
        "Give a whole number of days from 1 to 366 under “Fine-grained personal access tokens: maximum lifetime "
        "(days)”, or leave it empty."
    ]
    assert Enterprise.objects.get(pk=cast.bigcorp.pk).policy_revision == 0


def test_a_nul_byte_in_a_lifetime_changes_nothing(cast, erin):
    response = save_enterprise(erin, cast.bigcorp, fine_grained_max_lifetime_days="30\x00")

    assert response.status_code == 400
    assert Enterprise.objects.get(pk=cast.bigcorp.pk).fine_grained_max_lifetime_days is None


def test_a_stale_lifetime_save_is_refused(cast, erin):
    cast.bigcorp.refresh_from_db()
    loaded_at = cast.bigcorp.policy_revision
    enterprise_policy_update(enterprise=cast.bigcorp, classic_max_lifetime_days=60)

    response = erin.post(
        enterprise_url(cast.bigcorp),
        {**ENTERPRISE_CHOICES, "policy_revision": loaded_at, "classic_max_lifetime_days": "7"},
    )

    assert response.status_code == 409
    assert Enterprise.objects.get(pk=cast.bigcorp.pk).classic_max_lifetime_days == 60


def test_after_save_the_enterprise_page_names_the_tokens_that_outlive_it_linked_in_the_admin(cast, erin):
    outliving = fine_grained_token(cast.alice, resource_owner=cast.acme, name="deploy", expires_in_days=90)
    fine_grained_token(cast.alice, resource_owner=cast.acme, name="short", expires_in_days=7)
    classic = classic_token(cast.alice, note="laptop", expires_in_days=None)

    page = save_enterprise(
        erin, cast.bigcorp, fine_grained_max_lifetime_days="30", classic_max_lifetime_days="30"
    ).content.decode()

    assert "2 tokens outlive the maximum lifetime" in page
    assert f'<a href="/admin/tokens/finegrainedtoken/{outliving.token.pk}/change/">deploy</a>' in page
    assert f'<a href="/admin/tokens/classictoken/{classic.token.pk}/change/">{classic.token.masked}</a>' in page
    assert ">short<" not in page
    assert "laptop" not in page  # a classic token's note is its holder's words


def test_exempt_administrators_leaves_owners_tokens_off_the_list(cast, erin):
    fine_grained_token(cast.olga, resource_owner=cast.acme, name="owners-own", expires_in_days=None)

    page = save_enterprise(
        erin, cast.bigcorp, fine_grained_max_lifetime_days="30", max_lifetime_exempts_owners="on"
    ).content.decode()

    assert "owners-own" not in page


def test_the_outliving_list_is_read_in_a_bounded_number_of_queries(cast, erin, django_assert_max_num_queries):
    url = enterprise_url(cast.bigcorp)
    fine_grained_token(cast.alice, resource_owner=cast.acme, name="first", expires_in_days=None)
    classic_token(cast.alice, expires_in_days=None)
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=30, classic_max_lifetime_days=30)
    with django_assert_max_num_queries(40) as few:
        erin.get(url)
    enterprise_policy_update(
        enterprise=cast.bigcorp, fine_grained_max_lifetime_days=None, classic_max_lifetime_days=None
    )
    for index in range(20):
        fine_grained_token(cast.alice, resource_owner=cast.acme, name=f"t{index}", expires_in_days=None)
        classic_token(cast.alice, expires_in_days=None)
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=30, classic_max_lifetime_days=30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "42 tokens outlive" in erin.get(url).content.decode()


# --- The organization's page -------------------------------------------------


def test_an_organization_owner_sets_its_fine_grained_maximum(cast, uma):
    save_organization(uma, cast.umbrella, fine_grained_max_lifetime_days="14")

    assert Organization.objects.get(pk=cast.umbrella.pk).fine_grained_max_lifetime_days == 14
    assert lifetime_events(organization=cast.umbrella) == [("fine_grained_max_lifetime_days", None, 14)]


def test_the_enterprises_maximums_are_shown_locked_on_the_organizations_page(cast, olga):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=90, classic_max_lifetime_days=30)

    page = olga.get(organization_url(cast.acme)).content.decode()

    assert (
        "Your enterprise, Big Corp, allows fine-grained personal access tokens to live at most 90 days; "
        "acme may set a shorter maximum, not a longer one."
    ) in page
    assert (
        "Your enterprise, Big Corp, allows personal access tokens (classic) to live at most 30 days; "
        "acme cannot change it."
    ) in page
    assert 'name="fine_grained_max_lifetime_days" id="id_fine_grained_max_lifetime_days" min="1" max="90"' in page


def test_an_organization_may_not_set_a_longer_maximum_than_its_enterprise(cast, olga):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=90)

    response = save_organization(olga, cast.acme, fine_grained_max_lifetime_days="120")

    assert response.status_code == 400
    assert (
        response.context["form"]
        .errors["fine_grained_max_lifetime_days"][0]
        .startswith("Your enterprise allows at most 90 days")
    )
    assert Organization.objects.get(pk=cast.acme.pk).fine_grained_max_lifetime_days is None


def test_a_shorter_organization_maximum_is_saved_and_wins(cast, olga):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_max_lifetime_days=90)

    page = save_organization(olga, cast.acme, fine_grained_max_lifetime_days="14").content.decode()

    assert "fine-grained tokens may live at most 14 days (set by acme)" in page


def test_after_save_the_organizations_page_names_outliving_tokens_linking_those_it_granted(cast, uma):
    from organizations.services import membership_add

    membership_add(organization=cast.umbrella, user=cast.alice)
    token = fine_grained_token(cast.alice, resource_owner=cast.umbrella, name="ci", expires_in_days=90, approved=True)
    classic = classic_token(cast.alice, note="laptop", expires_in_days=None)
    organization_policy_update(organization=cast.umbrella, classic_max_lifetime_days=30)

    page = save_organization(uma, cast.umbrella, fine_grained_max_lifetime_days="30").content.decode()

    grant = token.token.grants.get()
    assert "2 tokens outlive the maximum lifetime" in page
    assert f'<a href="/orgs/umbrella/settings/personal-access-tokens/active/{grant.pk}/">ci</a>' in page
    assert f"<td>{classic.token.masked}</td>" in page
