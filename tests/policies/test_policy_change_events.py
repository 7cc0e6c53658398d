"""A policy save records "from → to" for exactly the policies that changed, and the log shows it (issue 18)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from policies.services import enterprise_policy_update, organization_policy_update
from tests.policies.conftest import PAGES

pytestmark = pytest.mark.django_db

ACTION = "organization.pat_policy_changed"


def changes(organization):
    events = AuditEvent.objects.filter(action=ACTION, organization=organization).order_by("id")
    return [(event.data["policy"], event.data["old"], event.data["new"]) for event in events]


def test_saving_the_whole_form_records_only_the_policy_that_changed(cast):
    # The form posts every policy; one of them differs from what is stored.
    assert PAGES["standalone organization"](cast).save(classic_access="restrict").status_code == 302
    assert changes(cast.umbrella) == [("classic_access", "allow", "restrict")]


def test_a_lifetime_change_records_from_and_to(cast, uma):
    organization_policy_update(organization=cast.umbrella, actor=cast.uma, fine_grained_max_lifetime_days=90)
    organization_policy_update(organization=cast.umbrella, actor=cast.uma, fine_grained_max_lifetime_days=30)
    assert changes(cast.umbrella) == [
        ("fine_grained_max_lifetime_days", None, 90),
        ("fine_grained_max_lifetime_days", 90, 30),
    ]


def test_the_organizations_log_shows_the_change_in_words(cast, olga):
    organization_policy_update(organization=cast.acme, actor=cast.olga, classic_access="restrict")
    content = olga.get(reverse("organization_audit_log", args=["acme"])).content.decode()
    assert "Organization token policy changed" in content
    assert "Classic token access:" in content
    assert (
        "Allow access via personal access tokens (classic) <span aria-label=\"changed to\">→</span> "
        "Restrict access via personal access tokens (classic)"
    ) in content


def test_the_enterprises_log_shows_the_change_in_words(cast, erin):
    enterprise_policy_update(enterprise=cast.bigcorp, actor=cast.erin, fine_grained_access="restrict")
    content = erin.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert "Enterprise token policy changed" in content
    assert (
        "Fine-grained token access:</span> Allow organizations to configure access requirements → "
        "Restrict access via fine-grained personal access tokens"
    ) in content


def test_the_enterprises_log_shows_a_maximum_lifetime_and_the_exemption_in_words(cast, erin):
    enterprise_policy_update(
        enterprise=cast.bigcorp, actor=cast.erin, classic_max_lifetime_days=30, max_lifetime_exempts_owners=True
    )
    content = erin.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert "Classic token maximum lifetime (days):</span> no limit → 30" in content
    assert "Maximum lifetimes exempt administrators:</span> no → yes" in content
