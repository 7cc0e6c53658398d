"""Org Settings → Personal access tokens: opt-in and the organization's policies (behaviour §3, §5.2)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from organizations.models import Organization
from policies.forms import ORGANIZATION_POLICIES
from policies.services import enterprise_policy_update, organization_policy_update
from tests.conftest import client_for
from tests.factories import classic_token
from tests.tokens.engine.helpers import check_token

pytestmark = pytest.mark.django_db

LOCKED = "for all its organizations; acme cannot change it."
DEFAULTS = {"fine_grained_access": "allow", "fine_grained_approval": "require", "classic_access": "allow"}


def url(organization):
    return reverse("organization_pat_settings", args=[organization.login])


def save(client, organization, **values):
    organization.refresh_from_db()
    data = {**DEFAULTS, "policy_revision": organization.policy_revision, **values}
    return client.post(url(organization), {name: value for name, value in data.items() if value is not None})


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# --- Who may see it ---------------------------------------------------------


def test_the_owner_sees_the_three_policies(cast, olga):
    response = olga.get(url(cast.acme))
    assert response.status_code == 200
    content = response.content.decode()
    for policy in ORGANIZATION_POLICIES:
        assert f"<h2>{policy.heading}</h2>" in content
        for value, label in policy.choices.choices:
            assert label in content
            assert policy.explanations[value] in content
    assert 'href="/orgs/acme/settings/personal-access-tokens/"' in content  # the sidebar


@pytest.mark.parametrize("who", ["alice", "mallory", "gina", "erin"])
def test_members_outsiders_and_enterprise_owners_get_404(cast, who):
    client = client_for(getattr(cast, who))
    assert client.get(url(cast.acme)).status_code == 404
    assert save(client, cast.acme, classic_access="restrict").status_code == 404
    assert client.post(url(cast.acme), {"opt_in": "1"}).status_code == 404
    cast.acme.refresh_from_db()
    assert cast.acme.classic_access == "allow"


def test_an_unknown_organization_gets_404(olga):
    assert olga.get("/orgs/nowhere/settings/personal-access-tokens/").status_code == 404


def test_anonymous_users_are_sent_to_sign_in(cast):
    response = client_for().get(url(cast.acme))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_superuser_may_open_any_organization(cast, root):
    assert root.get(url(cast.globex)).status_code == 200


def test_the_home_page_links_owners_to_the_settings(cast, olga):
    assert f'href="{url(cast.acme)}"' in olga.get(reverse("home")).content.decode()
    assert f'href="{url(cast.acme)}"' not in client_for(cast.alice).get(reverse("home")).content.decode()


# --- Opt-in -----------------------------------------------------------------


def test_a_standalone_organization_not_opted_in_offers_the_opt_in(cast, uma):
    Organization.objects.filter(pk=cast.umbrella.pk).update(fine_grained_opted_in=False)
    assert "Opt in to fine-grained personal access tokens" in uma.get(url(cast.umbrella)).content.decode()
    response = uma.post(url(cast.umbrella), {"opt_in": "1"}, follow=True)
    assert "umbrella opted in to fine-grained personal access tokens." in messages_of(response)
    cast.umbrella.refresh_from_db()
    assert cast.umbrella.fine_grained_opted_in
    assert AuditEvent.objects.filter(action="organization.fine_grained_opted_in", actor=cast.uma).count() == 1


def test_an_enterprise_that_opted_in_is_named(cast, olga):
    Organization.objects.filter(pk=cast.acme.pk).update(fine_grained_opted_in=False)
    content = olga.get(url(cast.acme)).content.decode()
    assert "Your enterprise, Big Corp, opted in to fine-grained personal access tokens for all" in content
    assert "Opt in to fine-grained personal access tokens</button>" not in content


# --- Save -------------------------------------------------------------------


def test_save_stores_the_choices_and_audits_each_change(cast, olga):
    response = save(olga, cast.acme, fine_grained_access="restrict", fine_grained_approval="not_required")
    assert response.status_code == 302
    page = olga.get(response.url)
    assert "Personal access token policies saved." in messages_of(page)
    assert 'name="fine_grained_access" id="id_fine_grained_access_1" value="restrict" checked' in page.content.decode()
    cast.acme.refresh_from_db()
    assert (cast.acme.fine_grained_access, cast.acme.fine_grained_approval) == ("restrict", "not_required")
    events = AuditEvent.objects.filter(action="organization.pat_policy_changed", organization=cast.acme)
    assert sorted((event.data["policy"], event.data["new"]) for event in events) == [
        ("fine_grained_access", "restrict"),
        ("fine_grained_approval", "not_required"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "classic_access",
            None,
            "Choose an option under “Restrict personal access tokens (classic) from accessing your organization”.",
        ),
        (
            "fine_grained_access",
            "org_configurable",
            "“org_configurable” is not an option under “Restrict access via fine-grained personal access tokens”.",
        ),
    ],
)
def test_a_missing_or_unknown_choice_is_refused_naming_the_field(cast, uma, field, value, message):
    response = save(uma, cast.umbrella, **{"fine_grained_approval": "not_required", field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    cast.umbrella.refresh_from_db()
    assert cast.umbrella.fine_grained_approval == "require"


def test_a_stale_save_is_refused_and_shows_the_current_values(cast, uma):
    loaded_at = cast.umbrella.policy_revision
    organization_policy_update(organization=cast.umbrella, classic_access="restrict", expected_revision=loaded_at)
    response = uma.post(
        url(cast.umbrella), {**DEFAULTS, "fine_grained_access": "restrict", "policy_revision": loaded_at}
    )
    assert response.status_code == 409
    assert any("The policy changed since you loaded it" in message for message in messages_of(response))
    assert 'value="restrict" checked' in response.content.decode()
    cast.umbrella.refresh_from_db()
    assert (cast.umbrella.fine_grained_access, cast.umbrella.classic_access) == ("allow", "restrict")


def test_an_access_check_right_after_save_follows_the_new_policy(cast, olga):
    plaintext = classic_token(cast.alice, scopes=["repo"]).plaintext
    assert check_token(plaintext, "acme/web", "contents:read").allowed
    save(olga, cast.acme, classic_access="restrict")
    decision = check_token(plaintext, "acme/web", "contents:read")
    assert (decision.allowed, decision.reason, decision.policy_source) == (False, "classic_restricted", "organization")


# --- Locked by the enterprise ----------------------------------------------


def test_a_policy_the_enterprise_enforces_is_locked_and_names_the_enterprise(cast, olga):
    enterprise_policy_update(enterprise=cast.bigcorp, classic_access="restrict")
    content = olga.get(url(cast.acme)).content.decode()
    assert 'class="policy-section locked" id="policy-classic_access"' in content
    assert LOCKED in content
    assert 'name="classic_access" id="id_classic_access_1" value="restrict" checked disabled' in content
    assert 'name="fine_grained_access" id="id_fine_grained_access_0" value="allow" checked>' in content
    assert content.count(LOCKED) == 1


def test_enforced_approval_shows_the_organizations_term(cast, olga):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_approval="disabled")
    content = olga.get(url(cast.acme)).content.decode()
    assert 'value="not_required" checked disabled' in content


def test_saving_keeps_the_stored_value_of_a_locked_policy(cast, olga):
    organization_policy_update(organization=cast.acme, classic_access="allow")
    enterprise_policy_update(enterprise=cast.bigcorp, classic_access="restrict")
    save(olga, cast.acme, classic_access="restrict", fine_grained_access="restrict")
    cast.acme.refresh_from_db()
    assert (cast.acme.classic_access, cast.acme.fine_grained_access) == ("allow", "restrict")
    assert not AuditEvent.objects.filter(
        action="organization.pat_policy_changed", data__policy="classic_access"
    ).exists()


def test_the_stored_value_comes_back_when_the_enterprise_stops_enforcing(cast, olga):
    organization_policy_update(organization=cast.acme, classic_access="restrict")
    enterprise_policy_update(enterprise=cast.bigcorp, classic_access="allow")
    assert 'value="allow" checked disabled' in olga.get(url(cast.acme)).content.decode()
    enterprise_policy_update(enterprise=cast.bigcorp, classic_access="org_configurable")
    content = olga.get(url(cast.acme)).content.decode()
    assert 'name="classic_access" id="id_classic_access_1" value="restrict" checked>' in content
    assert LOCKED not in content


def test_a_locked_policy_needs_no_value_in_the_form(cast, olga):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_access="restrict")
    response = save(olga, cast.acme, fine_grained_access=None, classic_access="restrict")
    assert response.status_code == 302
    cast.acme.refresh_from_db()
    assert cast.acme.classic_access == "restrict"


def test_the_page_takes_a_fixed_number_of_queries(cast, olga, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        assert olga.get(url(cast.acme)).status_code == 200


def test_a_locked_policy_says_which_own_setting_is_kept(cast, olga):
    organization_policy_update(organization=cast.acme, classic_access="restrict")
    enterprise_policy_update(enterprise=cast.bigcorp, classic_access="allow")
    content = olga.get(url(cast.acme)).content.decode()
    assert "Your own setting, “Restrict access via personal access tokens (classic)”, is kept" in content
