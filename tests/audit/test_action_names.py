"""Every action the product records has a name a person reads (issue 18)."""

import ast
import re
from pathlib import Path

from django.conf import settings

from audit.choices import ACTION_NAMES, action_name

ROOT = Path(settings.BASE_DIR)
NOT_PRODUCT = {"tests", "bench", "scripts", "docs", "static", "templates"}
ACTION = re.compile(r"^[a-z_]+\.[a-z_]+$")


def constants(node):
    """The strings an `action=` argument can take: a literal, or either branch of `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from constants(node.body)
        yield from constants(node.orelse)


def recorded_actions() -> set[str]:
    found = set()
    for package in ROOT.iterdir():
        if package.name in NOT_PRODUCT or not (package / "__init__.py").exists():
            continue
        for path in package.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg == "action":
                            found |= {value for value in constants(keyword.value) if ACTION.match(value)}
    return found


def test_the_scan_finds_the_actions_services_record():
    found = recorded_actions()
    assert {
        "personal_access_token.request_created",
        "organization.pat_policy_changed",
        "enterprise.fine_grained_opted_in",
        "ssh_key.access_revoked",
    } <= found


def test_every_recorded_action_has_a_name():
    missing = sorted(recorded_actions() - set(ACTION_NAMES))
    assert not missing, f"name these actions in audit.choices.ACTION_NAMES: {missing}"


def test_names_are_words_not_codes():
    for action, name in ACTION_NAMES.items():
        assert name[0].isupper() and "." not in name and "_" not in name, (action, name)


def test_no_two_actions_share_a_name():
    assert len(set(ACTION_NAMES.values())) == len(ACTION_NAMES)


def test_a_request_created_event_reads_token_request_created():
    assert action_name("personal_access_token.request_created") == "Token request created"
