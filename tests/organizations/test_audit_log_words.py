"""The organization's audit log reads as words, links what it names, filters by date and exports CSV (issue 18)."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from enterprises.audit_log.selectors import csv_cell
from tests.conftest import client_for
from tests.factories import fine_grained_token, pending_request
from tokens import services

pytestmark = pytest.mark.django_db


def url(organization="acme"):
    return reverse("organization_audit_log", args=[organization])


def backdate(event, days):
    AuditEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=days))


def exported(response):
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def requested(cast):
    """alice's token "deploy" asks acme for access; the request is pending."""
    token = fine_grained_token(
        cast.alice,
        name="deploy",
        resource_owner=cast.acme,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "write"},
    ).token
    return token, token.requests.get()


# --- Words -------------------------------------------------------------------------


def test_events_read_by_name_not_by_code(cast, olga, requested):
    table = olga.get(url()).content.decode().split("<table")[1]
    assert "Token request created" in table
    assert "personal_access_token" not in table


def test_the_event_filter_lists_actions_by_name(cast, olga, requested):
    content = olga.get(url()).content.decode()
    assert '<option value="personal_access_token.request_created">Token request created</option>' in content


def test_details_are_lines_of_words_never_json_or_reprs(cast, olga, requested):
    content = olga.get(url()).content.decode()
    assert "Permissions:</span> Contents (read and write)" in content
    assert "Repository access:</span> Only select repositories" in content
    assert "Repositories:</span> web" in content
    for raw in ("{", "}", "[", "'contents'", "True", "None", "fine_grained #"):
        assert raw not in content.split("<table")[1], raw


def test_dates_are_time_elements_with_the_time_zone(cast, olga, requested):
    content = olga.get(url()).content.decode()
    assert '<time datetime="' in content and 'UTC">' in content


# --- Links -------------------------------------------------------------------------


def test_a_pending_tokens_name_links_to_its_request(cast, olga, requested):
    _, request = requested
    content = olga.get(url()).content.decode()
    link = reverse("tokens:org-request", args=["acme", request.pk])
    assert f'<a href="{link}">deploy</a>' in content
    assert f'<a href="{link}">request #{request.pk}</a>' in content


def test_an_approved_tokens_name_links_to_its_grant(cast, olga, requested):
    token, request = requested
    services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    grant = token.grants.get()
    content = olga.get(url()).content.decode()
    assert f'<a href="{reverse("tokens:org-grant", args=["acme", grant.pk])}">deploy</a>' in content


def test_the_actor_links_to_their_events(cast, olga, requested):
    content = olga.get(url()).content.decode()
    assert f'<a href="{url()}?actor=alice" title="Events by alice">alice</a>' in content


def test_a_deleted_token_is_named_without_a_link(cast, olga, requested):
    token, _ = requested
    services.token_delete(token=token, actor=cast.alice)
    content = olga.get(url()).content.decode()
    assert 'deploy<span class="token-kind">fine-grained token, deleted</span>' in content


def test_the_page_takes_a_fixed_number_of_queries_with_tokens(cast, olga, requested):
    with CaptureQueriesContext(connection) as few:
        olga.get(url())
    for index in range(5):
        token = fine_grained_token(cast.alice, name=f"t{index}", resource_owner=cast.acme).token
        services.fine_grained_token_update(token=token, actor=cast.alice, permissions={"issues": "read"})
    with CaptureQueriesContext(connection) as many:
        olga.get(url())
    assert len(many) == len(few)


# --- Dates -------------------------------------------------------------------------


def test_the_date_range_keeps_events_between_the_days_both_included(cast, olga):
    old = audit_record(action="test.old", organization=cast.acme)
    middle = audit_record(action="test.middle", organization=cast.acme)
    audit_record(action="test.today", organization=cast.acme)
    backdate(old, 10)
    backdate(middle, 5)
    today = timezone.localdate()
    query = {"date_from": str(today - timedelta(days=6)), "date_to": str(today - timedelta(days=1))}
    listed = [row.event.action for row in olga.get(url(), query).context["rows"]]
    assert listed == ["test.middle"]
    listed = [row.event.action for row in olga.get(url(), {"date_to": str(today)}).context["rows"]]
    assert {"test.old", "test.middle", "test.today"} <= set(listed)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"date_from": "yesterday"}, "From: Give a date as YYYY-MM-DD."),
        ({"date_to": "2026-02-30"}, "To: Give a date as YYYY-MM-DD."),
        ({"date_to": "9999-12-31"}, "To: Give a date between 1970 and 9998."),
        ({"date_from": "0001-01-01"}, "From: Give a date between 1970 and 9998."),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "To: Give a date on or after the From date."),
    ],
)
def test_a_bad_date_is_refused_naming_the_field(cast, olga, query, error):
    audit_record(action="test.event", organization=cast.acme)
    response = olga.get(url(), query)
    assert response.status_code == 400
    assert response.context["rows"] == []
    assert error in response.content.decode()


# --- CSV ---------------------------------------------------------------------------


def test_the_export_streams_a_header_and_the_filtered_events(cast, olga, requested):
    audit_record(action="test.other", organization=cast.acme)
    response = olga.get(url(), {"action": "personal_access_token.request_created", "export": "csv"})
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="acme-audit-log.csv"'
    header, *rows = exported(response)
    assert header == ["Time", "Event", "Action", "Actor", "Organization", "Token", "Token type", "Token id", "Details"]
    [row] = rows
    token, _ = requested
    assert row[1:8] == [
        "Token request created",
        "personal_access_token.request_created",
        "alice",
        "acme",
        "deploy",
        "fine-grained token",
        str(token.pk),
    ]
    assert "Permissions: Contents (read and write)" in row[8]


def test_the_export_holds_every_page(cast, olga):
    for index in range(60):
        audit_record(action="test.event", organization=cast.acme, data={"n": index})
    assert len(exported(olga.get(url(), {"export": "csv", "action": "test.event"}))) == 61


def test_the_export_honours_the_date_range(cast, olga):
    backdate(audit_record(action="test.old", organization=cast.acme), 10)
    audit_record(action="test.new", organization=cast.acme)
    rows = exported(olga.get(url(), {"export": "csv", "date_from": str(timezone.localdate())}))
    assert "test.new" in [row[2] for row in rows]
    assert "test.old" not in [row[2] for row in rows]


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_a_cell_a_spreadsheet_would_run_is_quoted(cast, olga, formula):
    fine_grained_token(cast.alice, name=formula, resource_owner=cast.acme)
    rows = exported(olga.get(url(), {"export": "csv", "action": "personal_access_token.created"}))
    assert rows[1][5] == "'" + formula


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("Reason: =1", "Reason: =1"), ("", ""), (None, "")],
)
def test_csv_cells_are_guarded(value, cell):
    assert csv_cell(value) == cell


def test_the_export_refuses_bad_filters_like_the_page(cast, olga):
    response = olga.get(url(), {"export": "csv", "date_from": "nope"})
    assert response.status_code == 400
    assert "From: Give a date as YYYY-MM-DD." in response.content.decode()


@pytest.mark.parametrize("who", ["alice", "gina", "erin"])
def test_only_owners_export(cast, who):
    assert client_for(getattr(cast, who)).get(url(), {"export": "csv"}).status_code == 404


def test_the_export_holds_only_the_organizations_events(cast, olga):
    audit_record(action="test.globex", organization=cast.globex)
    assert "test.globex" not in b"".join(olga.get(url(), {"export": "csv"}).streaming_content).decode()


def test_pending_request_factory_is_listed_too(cast, olga):
    request = pending_request(fine_grained_token(cast.emu_bob, name="ci", resource_owner=cast.acme).token)
    assert reverse("tokens:org-request", args=["acme", request.pk]) in olga.get(url()).content.decode()
