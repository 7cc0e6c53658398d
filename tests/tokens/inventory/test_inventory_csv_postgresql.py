"""The CSV PostgreSQL writes (`COPY … TO STDOUT`) is the CSV Python writes, byte for byte (behaviour §5.1).

Both paths read the same factory-built credentials, whose names hold what a
CSV or a spreadsheet trips on: commas, quotes, line breaks, a leading formula
character, non-ASCII letters; and whose grants hold what the catalogue has no
words for.
"""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enterprises.selectors import enterprise_users
from organizations.models import User
from organizations.services import membership_add
from tests.factories import OrganizationFactory, SSHKeyFactory, UserFactory, classic_token, fine_grained_token
from tokens.inventory import selectors, views
from tokens.models import ClassicToken, FineGrainedToken, SSHKey

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL writes the CSV only on PostgreSQL"),
]

HOSTILE = [
    "comma, inside",
    'a "quoted" word',
    "two\nlines",
    "carriage\rreturn",
    "=HYPERLINK(1)",
    "+1",
    "-1",
    "@SUM(A1)",
    "\tTab first",
    "\rCR first",
    "Zoë’s 東京 key ✓",
    "",
]


@pytest.fixture
def hostile(inventory):
    """bigcorp's credentials, plus a member whose every credential is named by a hostile string."""
    zoe = UserFactory(username="zoe")
    # Organizations joined out of order by name: the cell lists them by name.
    OrganizationFactory(login="zeta", enterprise=inventory.bigcorp, members=[zoe])
    membership_add(organization=inventory.acme, user=zoe)
    OrganizationFactory(login="alpha", enterprise=inventory.bigcorp, members=[zoe])
    moment = datetime(2026, 12, 5, 7, 30, tzinfo=UTC)
    for number, text in enumerate(HOSTILE):
        key = SSHKeyFactory(user=zoe, title=f"key{number}")
        classic = classic_token(zoe, note=f"note{number}", scopes=["repo", "read:org"]).token
        fine = fine_grained_token(zoe, name=f"fine{number}", resource_owner=inventory.acme, approved=True).token
        # The names are written past the services' validation, as older or imported rows may hold them.
        SSHKey.objects.filter(pk=key.pk).update(title=text)
        ClassicToken.objects.filter(pk=classic.pk).update(
            note=text, last_used_at=moment.replace(microsecond=number * 1001), expires_at=None
        )
        FineGrainedToken.objects.filter(pk=fine.pk).update(name=text, last_used_at=moment)
    FineGrainedToken.objects.filter(pk=fine.pk).update(
        permissions={
            "issues": "write",
            "contents": "read",
            "zz-unknown": "read",
            "Ärger": "admin",
            "metadata": "everything",
            "a:b": "read",
            "checks": None,
            "actions": True,
            "pages": 2,
        }
    )
    ClassicToken.objects.filter(pk=classic.pk).update(scopes=["=cmd", "repo", "read:org"])
    User.objects.filter(pk=zoe.pk).update(username='=zoe,"the"\nadmin')
    return inventory


def _python_csv(enterprise, **listed) -> bytes:
    text = "".join(views._csv_lines(selectors.chunks(enterprise, **listed)))
    return text.encode()


def _postgresql_csv(enterprise, **listed) -> bytes:
    header = views._csv_text([views.CSV_HEADER]).encode()
    return header + b"".join(selectors.csv_records(enterprise, **listed))


def _holders(enterprise):
    return selectors.held_by(enterprise_users([enterprise.pk]))


@pytest.mark.parametrize(
    "filters",
    [
        selectors.Filters(),
        selectors.Filters(kind="classic"),
        selectors.Filters(search="e"),
        selectors.Filters(permission="contents"),
        selectors.Filters(permission="scope:repo"),
    ],
    ids=["everything", "classic", "searched", "a permission", "a scope"],
)
@pytest.mark.parametrize("may_read_notes", [False, True], ids=["owner", "site administrator"])
def test_postgresql_writes_the_bytes_python_writes(hostile, filters, may_read_notes):
    enterprise = hostile.bigcorp
    listed = {
        "holders": _holders(enterprise),
        "filters": filters,
        "now": datetime.now(UTC),
        "may_read_notes": may_read_notes,
    }
    written = _postgresql_csv(enterprise, **listed)
    expected = _python_csv(enterprise, **listed)
    parsed = list(csv.reader(io.StringIO(written.decode(), newline="")))
    assert parsed == list(csv.reader(io.StringIO(expected.decode(), newline="")))
    assert written == expected
    assert len(parsed) > 1


def test_the_hostile_cells_are_written_as_python_words_them(hostile):
    enterprise = hostile.bigcorp
    listed = {"holders": _holders(enterprise), "filters": selectors.Filters(), "now": datetime.now(UTC)}
    records = list(csv.reader(io.StringIO(_postgresql_csv(enterprise, **listed).decode(), newline="")))
    zoes = [record for record in records if record[2] == '\'=zoe,"the"\nadmin']
    assert {record[3] for record in zoes if record[0] == "SSH key"} == {
        "comma, inside",
        'a "quoted" word',
        "two\nlines",
        "carriage\rreturn",
        "'=HYPERLINK(1)",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tTab first",
        "'\rCR first",
        "Zoë’s 東京 key ✓",
        "",
    }
    assert {record[5] for record in zoes if record[0] != "Fine-grained personal access token"} == {"acme; alpha; zeta"}
    assert (
        "metadata:everything; Contents (read-only); Issues (read and write); actions:True; pages:2; "
        "a:b:read; checks:None; zz-unknown:read; Ärger:admin"
    ) in {record[4] for record in zoes}


def test_on_postgresql_the_view_streams_what_the_database_writes(inventory, erin, monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("the export turned rows into CSV in Python")

    monkeypatch.setattr(selectors, "chunks", refused)
    response = erin.get(inventory.export_url)
    lines = b"".join(response.streaming_content).split(b"\r\n")
    assert lines[0].startswith(b"type,id,holder") and len(lines) == 5 and lines[-1] == b""


def test_the_records_come_a_block_of_csv_chunk_at_a_time(hostile, monkeypatch):
    monkeypatch.setattr(selectors, "CSV_CHUNK", 3)
    enterprise = hostile.bigcorp
    listed = {"holders": _holders(enterprise), "filters": selectors.Filters(kind="ssh_key"), "now": datetime.now(UTC)}
    blocks = list(selectors.csv_records(enterprise, **listed))
    records = list(csv.reader(io.StringIO(b"".join(blocks).decode(), newline="")))
    assert len(records) == len(HOSTILE) + 1  # bob's key too
    assert all(len(list(csv.reader(io.StringIO(block.decode(), newline="")))) <= 3 for block in blocks)
    assert len(blocks) == 5


def test_the_export_is_one_copy_statement_a_type_however_many_rows(hostile, erin):
    with CaptureQueriesContext(connection) as queries:
        content = b"".join(erin.get(hostile.export_url).streaming_content)
    copies = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("COPY")]
    assert len(copies) == 3
    assert content.count(b"\r\n") > 3 * len(HOSTILE)


def test_a_download_stopped_midway_leaves_the_connection_usable(hostile, monkeypatch):
    monkeypatch.setattr(selectors, "CSV_CHUNK", 2)
    enterprise = hostile.bigcorp
    listed = {"holders": _holders(enterprise), "filters": selectors.Filters(), "now": datetime.now(UTC)}
    records = selectors.csv_records(enterprise, **listed)
    next(records)
    records.close()  # as the server does when the client goes away
    assert SSHKey.objects.filter(user__username="emu_bob").count() == 1
