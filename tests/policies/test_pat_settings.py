"""Org Settings → Personal access tokens: what only the organization's page does — who reaches it, and
policies its enterprise enforces (behaviour §3, §5.2); what it shares with the enterprise's page is in
test_policy_pages.py."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from organizations.models import Organization
from policies.services import enterprise_policy_update, organization_policy_update
from tests.conftest import client_for
from tests.policies.conftest import organization_page

pytestmark = pytest.mark.django_db

LOCKED = "for all its organizations; acme cannot change it."


def url(organization):
    return reverse("organization_pat_settings", args=[organization.login])


# --- Who may see it ---------------------------------------------------------


def test_the_owner_sees_the_page_in_the_organizations_settings(cast, olga):
    response = olga.get(url(cast.acme))
    assert response.status_code == 200
    assert 'href="/orgs/acme/settings/personal-access-tokens/"' in response.content.decode()  # the sidebar


@pytest.mark.parametrize("who", ["alice", "mallory", "gina", "erin"])
def test_members_outsiders_and_enterprise_owners_get_404(cast, who):
    client = client_for(getattr(cast, who))
    assert client.get(url(cast.acme)).status_code == 404
    assert organization_page(cast).save(client, classic_access="restrict").status_code == 404
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


def test_an_enterprise_that_opted_in_is_named(cast, olga):
    Organization.objects.filter(pk=cast.acme.pk).update(fine_grained_opted_in=False)
    content = olga.get(url(cast.acme)).content.decode()
    assert "Your enterprise, Big Corp, opted in to fine-grained personal access tokens for all" in content
    assert "Opt in to fine-grained personal access tokens</button>" not in content


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
    organization_page(cast).save(classic_access="restrict", fine_grained_access="restrict")
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
    response = organization_page(cast).save(fine_grained_access=None, classic_access="restrict")
    assert response.status_code == 302
    cast.acme.refresh_from_db()
    assert cast.acme.classic_access == "restrict"


def test_a_locked_policy_says_which_own_setting_is_kept(cast, olga):
    organization_policy_update(organization=cast.acme, classic_access="restrict")
    enterprise_policy_update(enterprise=cast.bigcorp, classic_access="allow")
    content = olga.get(url(cast.acme)).content.decode()
    assert "Your own setting, “Restrict access via personal access tokens (classic)”, is kept" in content
