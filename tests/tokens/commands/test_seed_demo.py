"""`seed_demo` (behaviour §6): a demo world with tokens in every state, loaded once."""

import re

import pytest

from organizations.models import User
from tests.tokens.commands.helpers import counts, decide, run_command
from tokens.engine.credentials import TOKEN_RE
from tokens.management.commands.seed_demo import (
    DEMO_PASSWORD,
    ROLES,
    TOKEN_STATES,
    demo_scenario,
)
from tokens.models import ApiClient

pytestmark = pytest.mark.django_db

# What each demo token shows (behaviour §4 reasons), checked against its own world.
EXPECTED = [
    ("alice-web", "acme/web", "contents:write", "allowed"),
    ("alice-api", "acme/api", "contents:read", "approval_pending"),
    ("bob-everything", "acme/web", "contents:read", "approval_denied"),
    ("emu-bob-ci", "acme/web", "contents:read", "access_revoked"),
    ("olga-admin", "acme/web", "administration:write", "allowed"),
    ("alice-umbrella", "umbrella/vaccine", "contents:read", "allowed"),
    ("alice-labs", "acme-labs/prototype", "contents:read", "fine_grained_restricted"),
    ("alice-dotfiles", "alice/dotfiles", "contents:write", "allowed"),
    ("dave-tps", "initrode/tps-reports", "contents:read", "fine_grained_not_enabled"),
    ("alice-classic", "acme/web", "contents:write", "allowed"),
    ("alice-classic", "umbrella/vaccine", "contents:read", "classic_restricted"),
    ("dave-classic", "initrode/tps-reports", "contents:read", "classic_restricted"),
    ("erin-audit", "enterprise:bigcorp", "audit_log:read", "allowed"),
    ("alice-old", "acme/web", "contents:read", "token_revoked"),
    ("alice-web", "acme/docs", "contents:read", "public_read"),
]


def _printed_tokens(output: str) -> dict:
    return dict(re.findall(r"^  (\S+)\s+(patrol_(?:fg|cl)_\S+)", output, flags=re.MULTILINE))


@pytest.fixture
def demo_output():
    return run_command("seed_demo")


def test_prints_every_login_with_its_password(demo_output):
    for username in ROLES:
        assert re.search(rf"^  {username}\s+{DEMO_PASSWORD}\s+\S", demo_output, flags=re.MULTILINE), username


def test_every_demo_user_logs_in_with_the_demo_password(demo_output):
    users = User.objects.all()
    assert {user.username for user in users} == set(ROLES)
    assert all(user.check_password(DEMO_PASSWORD) for user in users)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff


def test_tokens_are_in_the_states_described(demo_output):
    tokens = _printed_tokens(demo_output)
    assert set(tokens) == set(TOKEN_STATES)
    for name, resource, permission, reason in EXPECTED:
        assert decide(resource, permission, token=tokens[name]).reason == reason, name


def test_ssh_key_made_by_a_restricted_classic_token_still_works(demo_output):
    fingerprint = next(key["fingerprint"] for key in demo_scenario()["ssh_keys"] if key["user"] == "dave")
    assert decide("initrode/tps-reports", "contents:write", fingerprint=fingerprint).allowed


def test_emu_and_api_client(demo_output):
    assert User.objects.get(username="emu_bob").managed_by.slug == "bigcorp"
    secret = re.search(r"^  (patrol_ac_\S+)$", demo_output, flags=re.MULTILINE)[1]
    assert TOKEN_RE.match(secret)
    assert ApiClient.objects.filter(name="demo-gateway").exists()


def test_second_run_changes_nothing_and_prints_the_logins(demo_output):
    before = counts()

    output = run_command("seed_demo")

    assert "already loaded" in output
    assert all(username in output for username in ROLES)
    assert "patrol_" not in output
    assert counts() == before


def test_roles_and_states_describe_the_demo_file():
    scenario = demo_scenario()
    assert {user["username"] for user in scenario["users"]} == set(ROLES)
    assert {token["name"] for token in scenario["tokens"]} == set(TOKEN_STATES)
    assert {user["password"] for user in scenario["users"]} == {DEMO_PASSWORD}
