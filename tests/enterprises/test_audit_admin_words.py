"""The enterprise owners' audit log in the admin reads as words, links what it names,
filters by date and exports CSV (issue 18)."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from tests.factories import classic_token, fine_grained_token

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditevent_changelist")
EXPORT = reverse("admin:audit_auditevent_export")


def rows_of(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def actions(response):
    return [event.action for event in response.context["cl"].result_list]


@pytest.fixture
def requested(cast):
    token = fine_grained_token(cast.alice, name="deploy", resource_owner=cast.acme, permissions={"issues": "write"})
    return token.token, token.token.requests.get()


def test_events_read_by_name_with_their_organization(cast, erin, requested):
    content = erin.get(CHANGELIST).content.decode()
    assert "Token request created" in content
    assert '<span class="audit-note">in acme</span>' in content
    assert "personal_access_token.request_created</td>" not in content


def test_the_event_filter_lists_names(cast, erin, requested):
    content = erin.get(CHANGELIST).content.decode()
    assert "Token request created</a>" in content
    assert actions(erin.get(CHANGELIST, {"action": "personal_access_token.request_created"})) == [
        "personal_access_token.request_created"
    ]


def test_details_are_lines_of_words(cast, erin, requested):
    content = erin.get(CHANGELIST).content.decode()
    assert "<li><span>Permissions:</span> Issues (read and write)</li>" in content
    assert "{&#x27;" not in content and "{&quot;" not in content


def test_the_token_person_and_request_link_to_their_admin_pages(cast, erin, requested):
    token, request = requested
    content = erin.get(CHANGELIST).content.decode()
    assert f'<a href="{reverse("admin:tokens_finegrainedtoken_change", args=[token.pk])}">deploy</a>' in content
    assert f'<a href="{reverse("admin:organizations_user_change", args=[cast.alice.pk])}">alice</a>' in content
    assert f'<a href="{reverse("admin:tokens_accessrequest_change", args=[request.pk])}">request #{request.pk}</a>' in (
        content
    )


def test_a_classic_token_links_to_its_admin_page(cast, erin):
    token = classic_token(cast.alice, note="laptop").token
    audit_record(action="personal_access_token.revoked", organization=cast.acme, token=token)
    content = erin.get(CHANGELIST).content.decode()
    assert f'<a href="{reverse("admin:tokens_classictoken_change", args=[token.pk])}">laptop</a>' in content


def test_an_event_page_shows_the_details_in_words(cast, erin, requested):
    event = AuditEvent.objects.get(action="personal_access_token.request_created")
    content = erin.get(reverse("admin:audit_auditevent_change", args=[event.pk])).content.decode()
    assert "Token request created" in content
    assert "Issues (read and write)" in content


def test_dates_are_time_elements(cast, erin, requested):
    assert '<time datetime="' in erin.get(CHANGELIST).content.decode()


def test_the_date_range_keeps_events_between_the_days(cast, erin):
    old = audit_record(action="test.old", organization=cast.acme)
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    audit_record(action="test.new", organization=cast.acme)
    today = timezone.localdate()
    listed = actions(erin.get(CHANGELIST, {"date_from": str(today - timedelta(days=1)), "date_to": str(today)}))
    assert "test.new" in listed and "test.old" not in listed
    listed = actions(erin.get(CHANGELIST, {"date_to": str(today - timedelta(days=9))}))
    assert listed == ["test.old"]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"date_from": "soon"}, "From: Give a date as YYYY-MM-DD."),
        ({"date_to": "2026-13-01"}, "To: Give a date as YYYY-MM-DD."),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "To: Give a date on or after the From date."),
    ],
)
def test_a_bad_date_is_named_and_lists_nothing(cast, erin, query, error):
    audit_record(action="test.event", organization=cast.acme)
    response = erin.get(CHANGELIST, query)
    assert response.status_code == 200
    assert actions(response) == []
    assert error in response.content.decode()


def test_the_export_streams_the_filtered_events_with_a_header(cast, erin, requested):
    audit_record(action="test.other", organization=cast.acme)
    response = erin.get(EXPORT, {"action": "personal_access_token.request_created"})
    assert response["Content-Type"] == "text/csv"
    header, *rows = rows_of(response)
    assert header[:3] == ["Time", "Event", "Action"]
    assert [row[1] for row in rows] == ["Token request created"]
    assert rows[0][5] == "deploy"


def test_the_export_holds_only_the_owners_enterprise(cast, erin, oscar):
    audit_record(action="test.globex", organization=cast.globex)
    assert "test.globex" not in {row[2] for row in rows_of(erin.get(EXPORT))}
    assert "test.globex" in {row[2] for row in rows_of(oscar.get(EXPORT))}


def test_the_export_guards_against_formulas(cast, erin):
    fine_grained_token(cast.alice, name="=cmd|' /C calc'!A0", resource_owner=cast.acme)
    rows = rows_of(erin.get(EXPORT, {"action": "personal_access_token.created"}))
    assert rows[1][5] == "'=cmd|' /C calc'!A0"


def test_the_changelist_links_to_the_export_with_its_filters(cast, erin):
    content = erin.get(CHANGELIST, {"action": "test.event"}).content.decode()
    assert f'href="{EXPORT}?action=test.event"' in content


def test_the_export_needs_a_staff_user(cast, olga):
    response = olga.get(EXPORT)
    assert response.status_code == 302
    assert reverse("admin:login") in response.url
