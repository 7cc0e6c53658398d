"""`manage.py load_scenario FILE.json` (behaviour §6, §9).

Prints what it loaded, then, as the last line of stdout, one JSON object
``{"tokens": {name: plaintext}}`` — the only time the plaintexts are shown.
A missing or invalid file is a CommandError and nothing is written.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from tokens.scenario import SECTIONS, ScenarioError, load_scenario

SINGULAR = {"repositories": "repository"}


def source_name(path: str) -> str:
    return "standard input" if path == "-" else path


def read_scenario(path: str) -> dict:
    """The parsed JSON of `path` (``-`` for stdin); CommandError if unreadable."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as file:
                text = file.read()
    except FileNotFoundError as error:
        raise CommandError(f"{path}: no such file.") from error
    except IsADirectoryError as error:
        raise CommandError(f"{path}: is a directory, not a scenario file.") from error
    except UnicodeDecodeError as error:
        raise CommandError(f"{source_name(path)}: not UTF-8 text.") from error
    except OSError as error:
        raise CommandError(f"{path}: cannot be read ({error.strerror}).") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise CommandError(f"{source_name(path)}: invalid JSON at {where}: {error.msg}.") from error


def summary(data: dict) -> str:
    counts = []
    for section in SECTIONS:
        number = len(data.get(section, ()))
        if number:
            noun = section.replace("_", " ").replace("ssh", "SSH")
            counts.append(f"{number} {noun if number > 1 else SINGULAR.get(noun, noun[:-1])}")
    return "Loaded " + (", ".join(counts) or "nothing") + "."


class Command(BaseCommand):
    help = "Create users, organizations, repositories, tokens and reviews from a scenario file (behaviour §9)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the scenario JSON file, or - for standard input.")

    def handle(self, *args, **options):
        path = options["file"]
        data = read_scenario(path)
        try:
            result = load_scenario(data)
        except ScenarioError as error:
            raise CommandError(f"{source_name(path)}: invalid scenario; nothing was written.\n{error}") from error
        self.stdout.write(summary(data))
        self.stdout.write(json.dumps(result))
