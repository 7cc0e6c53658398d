"""GitHub's steps in the admin: Enterprise settings → Policies → Personal access tokens → Save (behaviour §5.1)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from enterprises.models import Enterprise
from enterprises.services import enterprise_owner_grant
from policies.forms import ENTERPRISE_POLICIES
from policies.services import enterprise_policy_update
from tests.conftest import client_for
from tests.factories import EnterpriseFactory, classic_token
from tests.tokens.engine.helpers import check_token

pytestmark = pytest.mark.django_db

HEADINGS = [
    "Restrict access via fine-grained personal access tokens",
    "Require approval of fine-grained personal access tokens",
    "Restrict personal access tokens (classic) from accessing your organizations",
]
CURRENT = {
    "fine_grained_access": "org_configurable",
    "fine_grained_approval": "org_configurable",
    "classic_access": "org_configurable",
}


def pat_url(enterprise):
    return reverse("admin:enterprises_enterprise_pat_policies", args=[enterprise.slug])


def save(client, enterprise, **values):
    enterprise.refresh_from_db()
    data = {**CURRENT, "policy_revision": enterprise.policy_revision, **values}
    return client.post(pat_url(enterprise), {name: value for name, value in data.items() if value is not None})


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


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


def test_a_not_opted_in_enterprise_is_prompted_to_opt_in_first(cast, erin):
    Enterprise.objects.filter(pk=cast.bigcorp.pk).update(fine_grained_opted_in=False)
    response = erin.get(pat_url(cast.bigcorp))
    content = response.content.decode()
    assert "Opt in to fine-grained personal access tokens" in content
    assert HEADINGS[0] not in content


def test_opting_in_shows_the_policies_and_is_audited(cast, erin):
    Enterprise.objects.filter(pk=cast.bigcorp.pk).update(fine_grained_opted_in=False)
    response = erin.post(pat_url(cast.bigcorp), {"opt_in": "1"}, follow=True)
    cast.bigcorp.refresh_from_db()
    assert cast.bigcorp.fine_grained_opted_in
    assert all(heading in response.content.decode() for heading in HEADINGS)
    assert AuditEvent.objects.filter(action="enterprise.fine_grained_opted_in", actor=cast.erin).count() == 1


def test_the_page_shows_the_seeds_sections_labels_and_explanations_with_the_current_value_checked(cast, erin):
    enterprise_policy_update(enterprise=cast.bigcorp, fine_grained_approval="require")
    content = erin.get(pat_url(cast.bigcorp)).content.decode()
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in content
    for policy in ENTERPRISE_POLICIES:
        for value, label in policy.choices.choices:
            assert label in content
            assert policy.explanations[value] in content
    assert 'name="fine_grained_approval" id="id_fine_grained_approval_1" value="require" checked' in content
    assert 'name="fine_grained_access" id="id_fine_grained_access_0" value="org_configurable" checked' in content
    assert 'type="submit" value="Save"' in content


def test_save_stores_the_choices_and_shows_them_with_a_success_message(cast, erin):
    response = save(erin, cast.bigcorp, fine_grained_access="restrict", classic_access="allow")
    assert response.status_code == 302
    assert response.url == pat_url(cast.bigcorp)
    page = erin.get(response.url)
    assert "Personal access token policies saved." in messages_of(page)
    assert 'value="restrict" checked' in page.content.decode()
    cast.bigcorp.refresh_from_db()
    assert (cast.bigcorp.fine_grained_access, cast.bigcorp.classic_access) == ("restrict", "allow")


def test_save_records_one_audit_event_per_policy_changed(cast, erin):
    save(erin, cast.bigcorp, fine_grained_access="allow", fine_grained_approval="disabled")
    events = AuditEvent.objects.filter(action="enterprise.pat_policy_changed", enterprise=cast.bigcorp)
    assert sorted((event.data["policy"], event.data["old"], event.data["new"]) for event in events) == [
        ("fine_grained_access", "org_configurable", "allow"),
        ("fine_grained_approval", "org_configurable", "disabled"),
    ]
    assert {event.actor for event in events} == {cast.erin}


def test_saving_the_same_values_changes_nothing(cast, erin):
    save(erin, cast.bigcorp)
    assert not AuditEvent.objects.filter(action="enterprise.pat_policy_changed").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "classic_access",
            None,
            "Choose an option under “Restrict personal access tokens (classic) from accessing your organizations”.",
        ),
        (
            "fine_grained_access",
            "bogus",
            "“bogus” is not an option under “Restrict access via fine-grained personal access tokens”.",
        ),
        (
            "fine_grained_approval",
            "not_required",
            "“not_required” is not an option under “Require approval of fine-grained personal access tokens”.",
        ),
    ],
)
def test_a_missing_or_unknown_choice_is_refused_naming_the_field(cast, erin, field, value, message):
    response = save(erin, cast.bigcorp, **{"fine_grained_access": "restrict", field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    cast.bigcorp.refresh_from_db()
    assert cast.bigcorp.fine_grained_access == "org_configurable"
    assert not AuditEvent.objects.filter(action="enterprise.pat_policy_changed").exists()


def test_a_missing_revision_is_refused(cast, erin):
    response = erin.post(pat_url(cast.bigcorp), {**CURRENT, "fine_grained_access": "restrict"})
    assert response.status_code == 400
    assert "missing its policy revision" in response.content.decode()
    cast.bigcorp.refresh_from_db()
    assert cast.bigcorp.fine_grained_access == "org_configurable"


def test_a_stale_save_is_refused_and_shows_the_current_values(cast, erin):
    loaded_at = cast.bigcorp.policy_revision
    # Another owner saves after erin loaded the page.
    enterprise_policy_update(enterprise=cast.bigcorp, classic_access="restrict", expected_revision=loaded_at)
    response = erin.post(
        pat_url(cast.bigcorp), {**CURRENT, "fine_grained_access": "allow", "policy_revision": loaded_at}
    )
    assert response.status_code == 409
    assert any("The policy changed since you loaded it" in message for message in messages_of(response))
    content = response.content.decode()
    assert 'name="classic_access" id="id_classic_access_1" value="restrict" checked' in content
    assert f'name="policy_revision" value="{loaded_at + 1}"' in content
    cast.bigcorp.refresh_from_db()
    assert (cast.bigcorp.fine_grained_access, cast.bigcorp.classic_access) == ("org_configurable", "restrict")


def test_an_access_check_right_after_save_follows_the_new_policy(cast, erin):
    plaintext = classic_token(cast.alice, scopes=["repo"]).plaintext
    assert check_token(plaintext, "acme/web", "contents:read").allowed
    save(erin, cast.bigcorp, classic_access="restrict")
    decision = check_token(plaintext, "acme/web", "contents:read")
    assert (decision.allowed, decision.reason, decision.policy_source) == (False, "classic_restricted", "enterprise")


@pytest.mark.parametrize("view", ["account", "policies", "pat_policies"])
def test_another_enterprises_pages_answer_404(cast, erin, view):
    url = reverse(f"admin:enterprises_enterprise_{view}", args=["othercorp"])
    assert erin.get(url).status_code == 404
    assert erin.post(url, {**CURRENT, "fine_grained_access": "restrict", "policy_revision": 0}).status_code == 404
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


def test_the_policy_page_takes_a_fixed_number_of_queries(cast, erin, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        assert erin.get(pat_url(cast.bigcorp)).status_code == 200
