"""Every test path the docs name exists, so a moved test cannot leave a dead reference behind."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEST_PATH = re.compile(r"\btests/[\w/.]*\w")


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_every_test_path_a_doc_names_exists(doc):
    named = set(TEST_PATH.findall(doc.read_text()))
    assert not {path for path in named if not (ROOT / path).exists()}
