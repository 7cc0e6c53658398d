"""`check_access` (behaviour §4, §6): the decision, readably, in the terminal."""

import json

import pytest
from django.core.management.base import CommandError

from tests.factories import classic_token, fine_grained_token, pending_request
from tests.tokens.commands.helpers import FINGERPRINT, run_command
from tokens.services import ssh_key_create


@pytest.fixture
def alice_token(cast):
    return fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "write"}
    )


def check_access(*args) -> str:
    return run_command("check_access", *args)


def test_denied_shows_reason_message_and_request(alice_token):
    output = check_access("--token", alice_token.plaintext, "--resource", "acme/web", "--permission", "contents:read")

    request = pending_request(alice_token.token)
    assert output.splitlines()[0] == "DENIED: contents:read on acme/web"
    assert "reason:               approval_pending" in output
    assert f"your request #{request.pk} is pending" in output
    assert f"request id:           {request.pk}" in output
    assert "policy source:        organization" in output
    assert "accepted permissions: contents:read" in output
    assert f"credential:           fine_grained #{alice_token.token.pk} of alice" in output
    assert "Gates:" not in output


def test_allowed(cast):
    issued = classic_token(cast.alice, scopes=["repo"])

    output = check_access("--token", issued.plaintext, "--resource", "acme/web", "--permission", "contents:read")

    assert output.splitlines()[0] == "ALLOWED: contents:read on acme/web"
    assert "reason:               allowed" in output
    assert "accepted permissions: repo" in output


def test_explain_lists_every_gate(alice_token):
    output = check_access(
        "--token", alice_token.plaintext, "--resource", "acme/web", "--permission", "contents:read", "--explain"
    )

    gates = output.split("Gates:\n")[1].splitlines()
    assert len(gates) == 16
    assert gates[0].split() == ["1.", "credential_well_formed", "pass"]
    assert gates[14].split() == ["15.", "approval", "fail"]
    assert gates[15].split() == ["16.", "lifetime_policy", "not_reached"]


def test_json_has_the_check_api_shape(alice_token):
    output = check_access(
        "--token", alice_token.plaintext, "--resource", "acme/docs", "--permission", "contents:read", "--json"
    )

    body = json.loads(output)
    assert body == {
        "allowed": True,
        "reason": "public_read",
        "message": body["message"],
        "policy_source": None,
        "accepted_permissions": ["contents:read"],
        "request_id": None,
        "token": {
            "id": alice_token.token.pk,
            "type": "fine_grained",
            "user": "alice",
            "expires_at": alice_token.token.expires_at.isoformat(),
        },
    }


def test_json_with_explain_has_gates(alice_token):
    output = check_access(
        "--token",
        alice_token.plaintext,
        "--resource",
        "acme/web",
        "--permission",
        "contents:read",
        "--json",
        "--explain",
    )

    gates = json.loads(output)["gates"]
    assert [gate["number"] for gate in gates] == list(range(1, 17))
    assert gates[0] == {"number": 1, "name": "credential_well_formed", "result": "pass"}


def test_ssh_key(cast):
    ssh_key_create(user=cast.alice, title="laptop", fingerprint=FINGERPRINT)

    output = check_access(
        "--ssh-key-fingerprint", FINGERPRINT, "--resource", "acme/web", "--permission", "contents:read"
    )

    assert output.startswith("ALLOWED")
    assert "credential:           ssh_key" in output


def test_unknown_token_is_a_decision_not_an_error(cast):
    output = check_access("--token", "patrol_fg_nonsense", "--resource", "acme/web", "--permission", "contents:read")

    assert output.startswith("DENIED")
    assert "reason:               credential_invalid" in output
    assert "credential:           —" in output


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--resource", "acme/web/extra", "--permission", "contents:read"], "--resource 'acme/web/extra'"),
        (["--resource", "acme/web", "--permission", "contents"], "--permission 'contents'"),
        (["--resource", "acme/web", "--permission", "contents:owner"], "--permission 'contents:owner'"),
        (["--resource", "acme/web", "--permission", "teleport:read"], "Unknown permission 'teleport'"),
    ],
    ids=["resource", "no level", "bad level", "unknown permission"],
)
def test_bad_syntax_names_the_option(db, args, option):
    with pytest.raises(CommandError, match=option):
        check_access("--token", "patrol_fg_x", *args)


def test_needs_exactly_one_credential(db):
    with pytest.raises(CommandError, match="one of the arguments --token --ssh-key-fingerprint is required"):
        check_access("--resource", "acme/web", "--permission", "contents:read")
    with pytest.raises(CommandError, match="not allowed with argument"):
        check_access(
            "--token", "t", "--ssh-key-fingerprint", FINGERPRINT, "--resource", "acme", "--permission", "members:read"
        )
