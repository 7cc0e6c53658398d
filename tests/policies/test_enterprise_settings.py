"""GitHub's steps in the admin: Enterprise settings → Policies → Personal access tokens (behaviour §5.1): what only
the enterprise's page does; what it shares with the organization's page is in test_policy_pages.py."""

import pytest
from django.urls import reverse

from enterprises.models import Enterprise
from enterprises.services import enterprise_owner_grant
from tests.conftest import client_for
from tests.factories import EnterpriseFactory
from tests.policies.conftest import ENTERPRISE_DEFAULTS

pytestmark = pytest.mark.django_db

HEADINGS = [
    "Restrict access via fine-grained personal access tokens",
    "Require approval of fine-grained personal access tokens",
    "Restrict personal access tokens (classic) from accessing your organizations",
]


def pat_url(enterprise):
    return reverse("admin:enterprises_enterprise_pat_policies", args=[enterprise.slug])


def test_the_admin_user_menu_links_to_enterprise_settings(erin):
    content = erin.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("admin:enterprises_enterprise_settings")}"' in content
    assert "Enterprise settings</a>" in content


def test_an_owner_of_one_enterprise_goes_straight_to_it(cast, erin):
    response = erin.get(reverse("admin:enterprises_enterprise_settings"))
    assert response.status_code == 302
    assert response.url == reverse("admin:enterprises_enterprise_account", args=["bigcorp"])


def test_an_owner_of_several_enterprises_chooses_one(cast):
    EnterpriseFactory(slug="smallcorp", name="Small Corp", owners=[cast.erin])
    response = client_for(cast.erin).get(reverse("admin:enterprises_enterprise_settings"))
    assert response.status_code == 200
    assert [enterprise.slug for enterprise in response.context["enterprises"]] == ["bigcorp", "smallcorp"]
    assert "Other Corp" not in response.content.decode()


def test_the_account_sidebar_has_policies_and_policies_has_personal_access_tokens(cast, erin):
    account = erin.get(reverse("admin:enterprises_enterprise_account", args=["bigcorp"])).content.decode()
    policies_url = reverse("admin:enterprises_enterprise_policies", args=["bigcorp"])
    assert f'href="{policies_url}"' in account
    policies = erin.get(policies_url).content.decode()
    assert f'href="{pat_url(cast.bigcorp)}"' in policies
    assert "Personal access tokens</a>" in policies


def test_the_sections_have_githubs_headings_and_a_review_changes_button(cast, erin):
    content = erin.get(pat_url(cast.bigcorp)).content.decode()
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in content
    assert 'name="action" value="review" class="default">Review changes</button>' in content


def test_a_not_opted_in_enterprise_sees_no_policy_until_it_opts_in(cast, erin):
    Enterprise.objects.filter(pk=cast.bigcorp.pk).update(fine_grained_opted_in=False)
    content = erin.get(pat_url(cast.bigcorp)).content.decode()
    assert not any(heading in content for heading in HEADINGS)


@pytest.mark.parametrize("view", ["account", "policies", "pat_policies"])
def test_another_enterprises_pages_answer_404(cast, erin, view):
    url = reverse(f"admin:enterprises_enterprise_{view}", args=["othercorp"])
    assert erin.get(url).status_code == 404
    data = {**ENTERPRISE_DEFAULTS, "fine_grained_access": "restrict", "policy_revision": 0}
    assert erin.post(url, data).status_code == 404
    cast.othercorp.refresh_from_db()
    assert cast.othercorp.fine_grained_access == "org_configurable"


def test_another_enterprises_opt_in_answers_404(cast, erin):
    Enterprise.objects.filter(pk=cast.othercorp.pk).update(fine_grained_opted_in=False)
    assert erin.post(pat_url(cast.othercorp), {"opt_in": "1"}).status_code == 404
    cast.othercorp.refresh_from_db()
    assert not cast.othercorp.fine_grained_opted_in


def test_an_unknown_enterprise_answers_404(erin):
    assert erin.get(reverse("admin:enterprises_enterprise_pat_policies", args=["nowhere"])).status_code == 404


def test_organization_owners_and_anonymous_users_cannot_reach_the_settings(cast):
    from django.test import Client

    for client in (Client(), client_for(cast.olga)):
        response = client.get(pat_url(cast.bigcorp))
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_a_former_owner_loses_the_settings(cast):
    from enterprises.services import enterprise_owner_remove

    enterprise_owner_grant(enterprise=cast.othercorp, user=cast.erin)
    enterprise_owner_remove(enterprise=cast.othercorp, user=cast.erin)
    assert client_for(cast.erin).get(pat_url(cast.othercorp)).status_code == 404


def test_a_superuser_may_open_any_enterprise(cast, root):
    assert root.get(pat_url(cast.othercorp)).status_code == 200
    response = root.get(reverse("admin:enterprises_enterprise_settings"))
    assert {enterprise.slug for enterprise in response.context["enterprises"]} == {"bigcorp", "othercorp"}


def test_the_account_sidebar_links_to_the_enterprises_organizations_and_audit_log(cast, erin):
    from audit.services import audit_record

    audit_record(action="test.bigcorp", organization=cast.acme)
    response = erin.get(reverse("admin:enterprises_enterprise_account", args=["bigcorp"]))
    sidebar = response.content.decode()
    organizations = f"{reverse('admin:organizations_organization_changelist')}?enterprise__id__exact={cast.bigcorp.pk}"
    audit_log = f"{reverse('admin:audit_auditevent_changelist')}?enterprise__id__exact={cast.bigcorp.pk}"
    assert f'href="{organizations}"' in sidebar
    assert f'href="{audit_log}"' in sidebar
    assert list(erin.get(organizations).context["cl"].result_list) == [cast.acme]
    assert "test.bigcorp" in {event.action for event in erin.get(audit_log).context["cl"].result_list}
