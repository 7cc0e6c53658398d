"""What the enterprise's and the organization's policy pages do alike: opt-in first, then
three radio groups saved with the stale-safe Save (behaviour §3, §5.1, §5.2).
Each test runs on both pages (tests/policies/conftest.py)."""

import re

import pytest

from audit.models import AuditEvent
from tests.factories import classic_token
from tests.policies.conftest import messages_of
from tests.tokens.engine.helpers import check_token

pytestmark = pytest.mark.django_db


def checked(content: str, field: str, value: str) -> bool:
    return re.search(rf'name="{field}" id="[^"]+" value="{value}" checked', content) is not None


def changes_recorded(page) -> list[tuple[str, str, str]]:
    events = AuditEvent.objects.filter(action=f"{page.kind}.pat_policy_changed", **{page.kind: page.owner})
    return sorted((event.data["policy"], event.data["old"], event.data["new"]) for event in events)


@pytest.mark.parametrize("policy_page", ["enterprise", "standalone organization"], indirect=True)
def test_an_owner_that_has_not_opted_in_is_asked_to_first(policy_page):
    type(policy_page.owner).objects.filter(pk=policy_page.owner.pk).update(fine_grained_opted_in=False)
    content = policy_page.client.get(policy_page.url).content.decode()
    assert "Opt in to fine-grained personal access tokens" in content


@pytest.mark.parametrize("policy_page", ["enterprise", "standalone organization"], indirect=True)
def test_opting_in_shows_the_policies_and_is_audited(policy_page):
    owner = policy_page.owner
    type(owner).objects.filter(pk=owner.pk).update(fine_grained_opted_in=False)
    response = policy_page.client.post(policy_page.url, {"opt_in": "1"}, follow=True)
    assert f"{owner} opted in to fine-grained personal access tokens." in " ".join(messages_of(response))
    assert all(f"<h2>{policy.heading}</h2>" in response.content.decode() for policy in policy_page.policies)
    owner.refresh_from_db()
    assert owner.fine_grained_opted_in
    opted_in = AuditEvent.objects.filter(
        action=f"{policy_page.kind}.fine_grained_opted_in", **{policy_page.kind: owner}
    )
    assert opted_in.count() == 1


def test_the_page_shows_each_policys_choices_and_explanations_with_the_current_value_checked(policy_page):
    policy_page.update(classic_access="restrict")
    content = policy_page.client.get(policy_page.url).content.decode()
    for policy in policy_page.policies:
        assert f"<h2>{policy.heading}</h2>" in content
        for value, label in policy.choices.choices:
            assert label in content
            assert policy.explanations[value] in content
    assert checked(content, "classic_access", "restrict")
    assert checked(content, "fine_grained_access", policy_page.defaults["fine_grained_access"])


def test_save_stores_the_choices_and_shows_them_with_a_success_message(policy_page):
    response = policy_page.save(fine_grained_access="restrict", classic_access="restrict")
    assert (response.status_code, response.url) == (302, policy_page.url)
    page = policy_page.client.get(response.url)
    assert "Personal access token policies saved." in messages_of(page)
    assert checked(page.content.decode(), "fine_grained_access", "restrict")
    assert policy_page.stored() == {
        **policy_page.defaults,
        "fine_grained_access": "restrict",
        "classic_access": "restrict",
    }


def test_save_records_one_audit_event_per_policy_changed(policy_page):
    policy_page.save(fine_grained_access="restrict", classic_access="restrict")
    defaults = policy_page.defaults
    assert changes_recorded(policy_page) == [
        ("classic_access", defaults["classic_access"], "restrict"),
        ("fine_grained_access", defaults["fine_grained_access"], "restrict"),
    ]
    events = AuditEvent.objects.filter(action=f"{policy_page.kind}.pat_policy_changed")
    assert {event.actor for event in events} == {policy_page.user}


def test_saving_the_same_values_changes_nothing(policy_page):
    assert policy_page.save().status_code == 302
    assert changes_recorded(policy_page) == []


@pytest.mark.parametrize(
    ("policy_page", "field", "value", "message"),
    [
        (
            "enterprise",
            "classic_access",
            None,
            "Choose an option under “Restrict personal access tokens (classic) from accessing your organizations”.",
        ),
        (
            "enterprise",
            "fine_grained_access",
            "bogus",
            "“bogus” is not an option under “Restrict access via fine-grained personal access tokens”.",
        ),
        (
            "enterprise",
            "fine_grained_approval",
            "not_required",
            "“not_required” is not an option under “Require approval of fine-grained personal access tokens”.",
        ),
        (
            "organization",
            "classic_access",
            None,
            "Choose an option under “Restrict personal access tokens (classic) from accessing your organization”.",
        ),
        (
            "organization",
            "fine_grained_access",
            "org_configurable",
            "“org_configurable” is not an option under “Restrict access via fine-grained personal access tokens”.",
        ),
    ],
    indirect=["policy_page"],
)
def test_a_missing_or_unknown_choice_is_refused_naming_the_field(policy_page, field, value, message):
    response = policy_page.save(**{"fine_grained_access": "restrict", "classic_access": "restrict", field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert policy_page.stored() == policy_page.defaults
    assert changes_recorded(policy_page) == []


def test_a_missing_revision_is_refused(policy_page):
    response = policy_page.client.post(policy_page.url, {**policy_page.defaults, "fine_grained_access": "restrict"})
    assert response.status_code == 400
    assert "missing its policy revision" in response.content.decode()
    assert policy_page.stored() == policy_page.defaults


def test_a_stale_save_is_refused_and_shows_the_current_values(policy_page):
    loaded_at = policy_page.owner.policy_revision
    # Another owner saves after this one loaded the page.
    policy_page.update(classic_access="restrict", expected_revision=loaded_at)
    response = policy_page.client.post(
        policy_page.url, {**policy_page.defaults, "fine_grained_access": "restrict", "policy_revision": loaded_at}
    )
    assert response.status_code == 409
    assert any("The policy changed since you loaded it" in message for message in messages_of(response))
    content = response.content.decode()
    assert checked(content, "classic_access", "restrict")
    assert f'name="policy_revision" value="{loaded_at + 1}"' in content
    assert policy_page.stored() == {**policy_page.defaults, "classic_access": "restrict"}


def test_an_access_check_right_after_save_follows_the_new_policy(cast, policy_page):
    plaintext = classic_token(cast.alice, scopes=["repo"]).plaintext
    assert check_token(plaintext, "acme/web", "contents:read").allowed
    policy_page.save(classic_access="restrict")
    decision = check_token(plaintext, "acme/web", "contents:read")
    assert (decision.allowed, decision.reason, decision.policy_source) == (
        False,
        "classic_restricted",
        policy_page.kind,
    )


def test_the_page_takes_a_fixed_number_of_queries(policy_page, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):  # one is the report-only policy staged, if any (behaviour §5.8)
        assert policy_page.client.get(policy_page.url).status_code == 200
