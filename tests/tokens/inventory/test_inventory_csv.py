"""The inventory's CSV: the filtered list, streamed in keyset chunks, safe to open in a spreadsheet."""

import csv
import io

import pytest

from tests.factories import SSHKeyFactory, classic_token
from tokens.inventory import selectors

pytestmark = pytest.mark.django_db


def _rows(response):
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_csv_holds_the_filtered_list_in_words(inventory, erin):
    response = erin.get(inventory.export_url, {"type": "fine_grained"})
    assert response["Content-Type"] == "text/csv"
    header, *rows = _rows(response)
    assert header[:4] == ["type", "id", "holder", "name"]
    assert [row[:5] for row in rows] == [
        [
            "Fine-grained personal access token",
            str(inventory.acme_token.pk),
            "alice",
            "alice-acme",
            "Contents (read-only)",
        ]
    ]


def test_the_csv_holds_nothing_of_another_enterprise(inventory, erin):
    content = b"".join(erin.get(inventory.export_url).streaming_content).decode()
    assert "mallory" not in content and "globex" not in content
    assert len(content.splitlines()) == 4


def test_a_cell_a_spreadsheet_would_run_is_quoted(inventory, erin):
    SSHKeyFactory(user=inventory.alice, title="=HYPERLINK(1)")
    rows = _rows(erin.get(inventory.export_url, {"type": "ssh_key"}))
    assert "'=HYPERLINK(1)" in [row[3] for row in rows]


def test_the_export_reads_by_keyset_chunks_and_loses_no_row(inventory, erin, monkeypatch):
    monkeypatch.setattr(selectors, "CSV_CHUNK", 2)
    for number in range(5):
        classic_token(inventory.alice, note=f"n{number}")
    rows = _rows(erin.get(inventory.export_url, {"type": "classic"}))[1:]
    assert len(rows) == 6 and len({row[1] for row in rows}) == 6
