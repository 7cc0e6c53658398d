"""The enterprise's audit log in the admin: read-only, filtered, newest first, paginated (behaviour §8)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from tests.factories import classic_token

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditevent_changelist")


def results(response):
    return list(response.context["cl"].result_list)


def test_events_cannot_be_added_changed_or_deleted(cast, erin, root):
    event = audit_record(action="test.event", actor=cast.olga, organization=cast.acme)
    for client in (erin, root):
        assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
        assert (
            client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "x"}).status_code == 403
        )
        assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
        assert "delete_selected" not in client.get(CHANGELIST).content.decode()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_newest_first(cast, erin):
    first = audit_record(action="test.first", organization=cast.acme)
    second = audit_record(action="test.second", organization=cast.acme)
    listed = results(erin.get(CHANGELIST))
    assert listed.index(second) < listed.index(first)


def test_filter_by_action(cast, erin):
    audit_record(action="test.wanted", organization=cast.acme)
    audit_record(action="test.other", organization=cast.acme)
    assert {event.action for event in results(erin.get(CHANGELIST, {"action": "test.wanted"}))} == {"test.wanted"}


def test_filter_by_actor(cast, erin):
    audit_record(action="test.by_olga", actor=cast.olga, organization=cast.acme)
    listed = results(erin.get(CHANGELIST, {"actor__id__exact": cast.olga.pk}))
    assert listed
    assert {event.actor for event in listed} == {cast.olga}


def test_filter_by_token_id(cast, erin):
    token = classic_token(cast.alice).token
    audit_record(action="test.token", organization=cast.acme, token=token)
    audit_record(action="test.no_token", organization=cast.acme)
    listed = results(erin.get(CHANGELIST, {"token_id": str(token.pk)}))
    assert [event.action for event in listed] == ["test.token"]
    assert results(erin.get(CHANGELIST, {"token_id": "not-a-number"})) == []


def test_filters_offer_only_the_enterprises_actors(cast, erin):
    audit_record(action="test.by_gina", actor=cast.gina, organization=cast.globex)
    content = erin.get(CHANGELIST).content.decode()
    assert f"actor__id__exact={cast.gina.pk}" not in content
    assert ">gina<" not in content
    assert "test.by_gina" not in content


def test_fifty_events_a_page(cast, erin):
    for index in range(60):
        audit_record(action=f"test.event{index}", organization=cast.acme)
    first = erin.get(CHANGELIST)
    assert len(results(first)) == 50
    assert len(results(erin.get(CHANGELIST, {"p": 2}))) >= 10
