"""The report-only pages (behaviour §5.8): stage beside Save, read the report, Enforce now or Discard."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from policies.models import StagedPolicy, StagedPolicyFlip
from policies.services import organization_policy_update, policy_stage
from tests.conftest import client_for
from tests.factories import classic_token
from tokens.engine.access import check_many

from ..tokens.engine.helpers import check_input

PATS = "/orgs/acme/settings/personal-access-tokens/"
REPORT = PATS + "report-only/"


def form_values(organization, **changes) -> dict:
    values = {
        "policy_revision": organization.policy_revision,
        "fine_grained_access": organization.fine_grained_access,
        "fine_grained_approval": organization.fine_grained_approval,
        "classic_access": organization.classic_access,
        "fine_grained_max_lifetime_days": "",
    }
    return values | changes


@pytest.fixture
def staged(cast):
    return policy_stage(instance=cast.acme, actor=cast.olga, values={"classic_access": "restrict"})


def test_stage_as_report_only_stages_the_choices_and_saves_nothing(cast, olga):
    response = olga.post(PATS, form_values(cast.acme, classic_access="restrict", stage="1"))

    assert response.status_code == 302
    assert response.url == REPORT
    staged = StagedPolicy.objects.get(organization=cast.acme)
    assert (staged.classic_access, staged.staged_by) == ("restrict", cast.olga)
    cast.acme.refresh_from_db()
    assert cast.acme.classic_access == "allow"
    event = AuditEvent.objects.get(action="organization.pat_policy_staged")
    assert event.data == {"policy": "classic_access", "old": "allow", "new": "restrict"}


def test_staging_the_saved_policies_is_refused_with_words(cast, olga):
    response = olga.post(PATS, form_values(cast.acme, stage="1"))

    assert response.status_code == 400
    assert "These are the policies in force already" in response.content.decode()
    assert not StagedPolicy.objects.exists()


def test_staging_an_unknown_choice_names_the_policy_and_stages_nothing(cast, olga):
    response = olga.post(PATS, form_values(cast.acme, classic_access="sometimes", stage="1"))

    assert response.status_code == 400
    assert "“sometimes” is not an option" in response.content.decode()
    assert not StagedPolicy.objects.exists()


def test_staging_from_a_page_loaded_before_a_save_is_refused_as_stale(cast, olga):
    loaded = form_values(cast.acme, classic_access="restrict", stage="1")
    organization_policy_update(organization=cast.acme, fine_grained_approval="not_required")

    response = olga.post(PATS, loaded)

    assert response.status_code == 409
    assert not StagedPolicy.objects.exists()


def test_the_report_lists_each_flip_in_words(cast, olga, staged):
    token = classic_token(cast.alice, scopes=["repo"])
    check_many([check_input("acme/web", "contents:read", token=token.plaintext)] * 2)

    page = olga.get(REPORT).content.decode()

    for words in (
        "Classic tokens’ access:",
        "Allow access via personal access tokens (classic)",
        "Restrict access via personal access tokens (classic)",
        "alice",
        token.token.masked,
        "acme/web",
        "Contents (read-only)",
        "Refused: classic tokens restricted",
        '<td data-label="Checks">2</td>',
    ):
        assert words in page
    assert "classic_restricted" not in page


def test_the_report_says_when_nothing_is_staged(cast, olga):
    assert "No policy is staged as report only." in olga.get(REPORT).content.decode()


def test_the_report_is_paginated(cast, olga, staged):
    now = staged.staged_at
    StagedPolicyFlip.objects.bulk_create(
        StagedPolicyFlip(
            staged=staged,
            credential_type="classic",
            credential_id=n,
            holder=cast.alice,
            resource="acme/web",
            permission="contents",
            level="read",
            allowed=True,
            would_be_reason="classic_restricted",
            first_seen=now,
            last_seen=now,
        )
        for n in range(1, 52)
    )
    first = olga.get(REPORT).content.decode()
    second = olga.get(REPORT + "?page=2").content.decode()

    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert "Page 2 of 2" in second and second.count('<td data-label="Holder">') == 1


def queries_for_report(olga) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert olga.get(REPORT).status_code == 200
    return len(queries)


def test_the_report_page_takes_as_many_queries_for_many_rows_as_for_one(cast, olga, staged):
    def flip(note, resource="acme/web"):
        token = classic_token(cast.alice, note=note, scopes=["repo"])
        check_many([check_input(resource, "contents:read", token=token.plaintext)])

    flip("first")
    one = queries_for_report(olga)
    for n in range(5):
        flip(f"t{n}", "acme/handbook")

    assert queries_for_report(olga) == one <= 9


def test_enforce_now_asks_first_then_saves_through_the_save_flow(cast, olga, staged):
    question = olga.get(REPORT + "enforce/")
    assert question.status_code == 200
    assert "are saved and decide every check from now on" in question.content.decode()

    response = olga.post(REPORT + "enforce/", {"staged": staged.pk})

    assert (response.status_code, response.url) == (302, PATS)
    cast.acme.refresh_from_db()
    assert cast.acme.classic_access == "restrict"
    assert not StagedPolicy.objects.exists()
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["organization.pat_policy_changed", "organization.pat_policy_staging_enforced"]


def test_enforce_now_after_a_save_since_staging_is_refused_and_changes_nothing(cast, olga, staged):
    organization_policy_update(organization=cast.acme, fine_grained_approval="not_required")

    response = olga.post(REPORT + "enforce/", {"staged": staged.pk})

    assert response.status_code == 409
    cast.acme.refresh_from_db()
    assert cast.acme.classic_access == "allow"
    assert StagedPolicy.objects.filter(pk=staged.pk).exists()


def test_discard_deletes_the_staged_policy_and_its_report_and_saves_nothing(cast, olga, staged):
    token = classic_token(cast.alice, scopes=["repo"])
    check_many([check_input("acme/web", "contents:read", token=token.plaintext)])

    response = olga.post(REPORT + "discard/", {"staged": staged.pk})

    assert (response.status_code, response.url) == (302, REPORT)
    assert not StagedPolicy.objects.exists() and not StagedPolicyFlip.objects.exists()
    cast.acme.refresh_from_db()
    assert cast.acme.classic_access == "allow"
    assert AuditEvent.objects.filter(action="organization.pat_policy_staging_discarded").count() == 1


@pytest.mark.parametrize("value", ["", "abc", "-1", "1" * 30, "١"])
def test_a_bad_staged_id_is_refused_naming_the_field(cast, olga, staged, value):
    response = olga.post(REPORT + "discard/", {"staged": value})

    assert response.status_code == 400
    assert "“staged”" in response.content.decode()
    assert StagedPolicy.objects.filter(pk=staged.pk).exists()


def test_another_organizations_staged_policy_is_not_found(cast, olga, staged):
    theirs = policy_stage(instance=cast.globex, actor=cast.gina, values={"classic_access": "restrict"})

    response = olga.post(REPORT + "discard/", {"staged": theirs.pk})

    assert response.status_code == 404
    assert StagedPolicy.objects.count() == 2


@pytest.mark.parametrize("user", ["alice", "gina", "erin"])
def test_the_report_is_for_owners_only(cast, staged, user):
    assert client_for(getattr(cast, user)).get(REPORT).status_code == 404


def test_an_enterprise_owner_stages_enforces_and_sees_the_report_in_the_admin(cast, erin):
    policies = reverse("admin:enterprises_enterprise_pat_policies", args=["bigcorp"])
    report = reverse("admin:enterprises_enterprise_report_only", args=["bigcorp"])
    bigcorp = cast.bigcorp
    values = {
        "policy_revision": bigcorp.policy_revision,
        "fine_grained_access": bigcorp.fine_grained_access,
        "fine_grained_approval": bigcorp.fine_grained_approval,
        "classic_access": "restrict",
        "stage": "Stage as report only",
    }
    assert erin.post(policies, values).url == report
    token = classic_token(cast.alice, scopes=["repo"])
    check_many([check_input("acme/web", "contents:read", token=token.plaintext)])

    page = erin.get(report).content.decode()
    assert "Refused: classic tokens restricted" in page and "acme/web" in page

    staged = StagedPolicy.objects.get(enterprise=bigcorp)
    assert erin.post(report + "enforce/", {"staged": staged.pk}).url == policies
    bigcorp.refresh_from_db()
    assert bigcorp.classic_access == "restrict"
    assert AuditEvent.objects.filter(action="enterprise.pat_policy_staging_enforced").exists()
