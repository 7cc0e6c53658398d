"""A token's "updated" event records exactly the fields that changed, each from → to (issue 18)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import fine_grained_token
from tokens import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(cast):
    return fine_grained_token(
        cast.olga,
        name="deploy",
        resource_owner=cast.acme,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "read"},
    ).token


def updated(token):
    return list(AuditEvent.objects.filter(action="personal_access_token.updated", token_id=token.pk).order_by("id"))


def test_renaming_records_only_the_name(cast, token):
    services.fine_grained_token_update(token=token, actor=cast.olga, name="ship", description="")
    [event] = updated(token)
    assert event.data == {"changes": {"name": {"from": "deploy", "to": "ship"}}}


def test_fields_sent_unchanged_are_not_listed(cast, token):
    services.fine_grained_token_update(
        token=token,
        actor=cast.olga,
        name="deploy",
        description="",
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "read", "issues": "write"},
    )
    [event] = updated(token)
    assert event.data == {"changes": {"permissions.issues": {"from": None, "to": "write"}}}


def test_a_level_change_and_the_repositories_record_from_and_to(cast, token):
    services.fine_grained_token_update(
        token=token, actor=cast.olga, repositories=[cast.web, cast.docs], permissions={"contents": "write"}
    )
    [event] = updated(token)
    assert event.data["changes"] == {
        "repository_ids": {"from": [cast.web.pk], "to": sorted([cast.web.pk, cast.docs.pk])},
        "permissions.contents": {"from": "read", "to": "write"},
    }


def test_an_edit_that_changes_nothing_records_no_event(cast, token):
    services.fine_grained_token_update(token=token, actor=cast.olga, name="deploy", permissions={"contents": "read"})
    assert updated(token) == []


def test_the_log_shows_each_change_in_words(cast, olga, token):
    services.fine_grained_token_update(
        token=token, actor=cast.olga, name="ship", repositories=[cast.web, cast.docs], permissions={"contents": "write"}
    )
    content = olga.get(reverse("organization_audit_log", args=["acme"])).content.decode()
    arrow = '<span aria-label="changed to">→</span>'
    assert f"Name:</span> deploy {arrow} ship" in content
    assert f"Repositories:</span> web {arrow} web, docs" in content  # in the order they were made
    assert f"Contents:</span> read-only {arrow} read and write" in content
