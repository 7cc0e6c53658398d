"""What the docs name exists, and nothing points outside the repository."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEST_PATH = re.compile(r"\btests/[\w/.]*\w")


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_every_test_path_a_doc_names_exists(doc):
    named = set(TEST_PATH.findall(doc.read_text()))
    assert not {path for path in named if not (ROOT / path).exists()}


# What points outside the repository: the old specification's section marks and
# its path. Spelled in pieces so that this file does not name them itself.
OUTSIDE_REFERENCES = ("SPEC" + " §", "../" + "shared")
SKIPPED_DIRECTORIES = {".git", "node_modules", ".venv", "var", "__pycache__"}


def tracked_files() -> list[Path]:
    """The repository's files: git's list when there is one, else every file under the root."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True).stdout
        paths = [ROOT / name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        paths = [path for path in ROOT.rglob("*") if path.is_file()]
    return [path for path in paths if path.is_file() and not SKIPPED_DIRECTORIES & set(path.relative_to(ROOT).parts)]


def test_no_file_points_outside_the_repository():
    """The behaviour the code cites is docs/behaviour.md, inside the repository."""
    found = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files
        for number, line in enumerate(text.splitlines(), 1):
            if any(reference in line for reference in OUTSIDE_REFERENCES):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "cite docs/behaviour.md instead:\n" + "\n".join(found)
