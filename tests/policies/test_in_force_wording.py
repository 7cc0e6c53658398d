"""The policy pages say what is in force and who set it, never "enabled" above a restriction (issue 18)."""

import pytest
from django.urls import reverse

from organizations.models import Organization
from policies.services import enterprise_policy_update, organization_policy_update

pytestmark = pytest.mark.django_db


def page_of(client, organization) -> str:
    return client.get(reverse("organization_pat_settings", args=[organization.login])).content.decode()


def test_an_enterprise_enforced_restrict_is_said_and_nothing_says_enabled(cast, olga):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_access="restrict")
    content = page_of(olga, cast.acme)
    assert "Your enterprise, Big Corp, restricts fine-grained personal access tokens" in content
    assert "acme cannot change it" in content
    assert "enabled" not in content.lower().replace("disabled", "")


def test_the_locked_policy_names_the_enforced_choice_and_the_enterprise(cast, olga):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_access="restrict")
    content = page_of(olga, cast.acme)
    assert (
        "Your enterprise, Big Corp, enforces “Restrict access via fine-grained personal access tokens” "
        "for all its organizations; acme cannot change it."
    ) in content
    assert 'aria-describedby="policy-fine_grained_access-locked"' in content
    assert 'id="policy-fine_grained_access-locked"' in content


def test_an_organizations_own_restrict_is_said_as_its_own(cast, olga):
    organization_policy_update(organization=cast.acme, fine_grained_access="restrict")
    content = page_of(olga, cast.acme)
    assert "acme restricts fine-grained personal access tokens" in content
    assert "Your enterprise, Big Corp, restricts" not in content


def test_allowed_tokens_say_who_opted_in_and_who_set_approval(cast, olga):
    Organization.objects.filter(pk=cast.acme.pk).update(fine_grained_opted_in=False)
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_approval="require")
    content = page_of(olga, cast.acme)
    assert "your enterprise, Big Corp, opted in" in content
    assert "Each token needs an owner’s approval" in content
    assert "enforced by your enterprise, Big Corp; acme cannot change it" in content


def test_the_enterprise_page_says_what_holds_for_its_organizations(cast, erin):
    enterprise_policy_update(enterprise=cast.bigcorp, classic_access="restrict")
    url = reverse("admin:enterprises_enterprise_pat_policies", args=[cast.bigcorp.slug])
    content = erin.get(url).content.decode()
    assert "Personal access tokens (classic) cannot access Big Corp or its organizations" in content
    assert "Each organization of Big Corp decides whether fine-grained personal access tokens can access it." in content
