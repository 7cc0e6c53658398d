"""`load_scenario` (behaviour §6, §9): through the services, in one transaction."""

import json

import pytest
from django.core.management.base import CommandError

from enterprises.selectors import is_enterprise_owner
from organizations.models import Organization, User
from organizations.selectors import is_organization_owner
from tests.tokens.commands.helpers import (
    FINGERPRINT,
    counts,
    decide,
    last_line,
    run_command,
    spec_example,
    write_json,
)
from tokens.models import AccessRequest, ClassicToken, FineGrainedToken, Grant
from tokens.scenario import ScenarioError, load_scenario

pytestmark = pytest.mark.django_db


def test_spec_example_round_trip(tmp_path):
    output = run_command("load_scenario", str(write_json(tmp_path, spec_example())))

    tokens = json.loads(last_line(output))["tokens"]
    assert set(tokens) == {"alice-web", "alice-classic"}
    # Approved, then revoked by olga: the revoked grant blocks (gate 15).
    assert decide("acme/web", "contents:write", token=tokens["alice-web"]).reason == "access_revoked"
    assert decide("acme/web", "contents:read", token=tokens["alice-classic"]).reason == "token_revoked"
    # Keys keep working whatever happened to the token that made them (gate 7).
    assert decide("acme/web", "contents:write", fingerprint=FINGERPRINT).allowed


def test_spec_example_without_revocations_decides_by_policy():
    tokens = load_scenario(spec_example(revocations=None, token_revocations=None))["tokens"]

    assert decide("acme/web", "contents:write", token=tokens["alice-web"]).reason == "allowed"
    classic = decide("acme/web", "contents:read", token=tokens["alice-classic"])
    assert (classic.reason, classic.policy_source) == ("classic_restricted", "enterprise")


def test_requests_and_grants_arise_as_from_the_ui():
    # bigcorp enforces approval, so alice's token opened a request olga approved.
    load_scenario(spec_example(revocations=None))

    token = FineGrainedToken.objects.get(name="alice-web")
    request = AccessRequest.objects.get(token=token)
    assert (request.status, request.reviewed_by.username, request.justification) == ("approved", "olga", "deploys")
    grant = Grant.objects.get(token=token)
    assert grant.request == request
    assert not grant.auto_approved


def test_pending_request_without_review():
    tokens = load_scenario(spec_example(reviews=None, revocations=None))["tokens"]

    decision = decide("acme/web", "contents:write", token=tokens["alice-web"])
    assert decision.reason == "approval_pending"
    assert decision.request_id == AccessRequest.objects.get(status="pending").pk


def test_roles_memberships_and_emu():
    load_scenario(spec_example())

    bigcorp_owner = User.objects.get(username="erin")
    acme = Organization.objects.get(login="acme")
    assert is_enterprise_owner(bigcorp_owner, acme.enterprise)
    assert is_organization_owner(User.objects.get(username="olga"), acme)
    assert acme.memberships.filter(user__username="alice").exists()
    assert User.objects.get(username="emu_bob").managed_by.slug == "bigcorp"
    assert acme.base_permission == "write"
    assert acme.enterprise.fine_grained_opted_in
    assert acme.enterprise.classic_access == "restrict"


def test_expiry_defaults_to_30_days_and_null_means_never():
    scenario = spec_example()
    del scenario["tokens"][0]["expires_in_days"]
    load_scenario(scenario)

    token = FineGrainedToken.objects.get(name="alice-web")
    assert (token.expires_at - token.created_at).days in (29, 30)
    assert ClassicToken.objects.get(note="alice-classic").expires_at is None


def test_only_users_is_required():
    assert load_scenario({"users": [{"username": "solo", "password": "pw-for-solo"}]}) == {"tokens": {}}
    assert User.objects.get(username="solo").check_password("pw-for-solo")


def test_superuser_for_demos():
    load_scenario({"users": [{"username": "root", "is_superuser": True}]})

    root = User.objects.get(username="root")
    assert root.is_superuser and root.is_staff


def test_user_owned_token_and_classic_note():
    tokens = load_scenario(
        {
            "users": [{"username": "alice"}],
            "repositories": [{"owner": "alice", "name": "dotfiles", "visibility": "private"}],
            "tokens": [
                {"name": "mine", "user": "alice", "repositories": ["dotfiles"], "permissions": {"contents": "write"}},
                {"name": "cli", "user": "alice", "type": "classic", "note": "for the CLI", "scopes": ["repo"]},
            ],
        }
    )["tokens"]

    assert decide("alice/dotfiles", "contents:write", token=tokens["mine"]).allowed
    assert ClassicToken.objects.get().note == "for the CLI"


# --- Errors: each names the entry, and nothing is written ----------------------


def _with(path: str, value):
    """spec_example() with one value replaced at a dotted path (list indexes allowed)."""
    scenario = spec_example()
    *parents, last = path.split(".")
    target = scenario
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return scenario


def _without(path: str):
    scenario = spec_example()
    *parents, last = path.split(".")
    target = scenario
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    del target[last]
    return scenario


INVALID = {
    "unknown user in a token": (_with("tokens.0.user", "zed"), 'tokens[0] ("alice-web"): unknown user "zed"'),
    "owner not listed in users": (
        _with("organizations.0.owners", ["olga", "nobody"]),
        'organizations[0] ("acme"): unknown user "nobody"',
    ),
    "managed_by names no enterprise of the file": (
        _with("users.1.managed_by", "othercorp"),
        'users[1] ("emu_bob"): unknown enterprise "othercorp"',
    ),
    "organization in an unknown enterprise": (
        _with("organizations.0.enterprise", "nocorp"),
        'organizations[0] ("acme"): unknown enterprise "nocorp"',
    ),
    "repository of an unknown owner": (
        _with("repositories.0.owner", "ghost"),
        'repositories[0] ("ghost/web"): unknown owner (user or organization) "ghost"',
    ),
    "unknown token in an SSH key": (
        _with("ssh_keys.0.created_by_token", "nope"),
        'ssh_keys[0] ("laptop"): unknown token "nope"',
    ),
    "unknown token revoked": (_with("token_revocations", ["ghost"]), 'token_revocations[0] ("ghost"): unknown token'),
    "review by an unknown user": (_with("reviews.0.by", "zed"), 'reviews[0] ("alice-web"): unknown user "zed"'),
    "unknown top-level key": ({**spec_example(), "teams": []}, 'unknown key "teams"'),
    "unknown key in an entry": (_with("tokens.0.colour", "red"), 'tokens[0] ("alice-web"): unknown key "colour"'),
    "users missing": (spec_example(users=None), '"users" is required'),
    "not an object": ([], "must be a JSON object"),
    "section not a list": (spec_example(tokens={}), '"tokens" must be a list'),
    "entry not an object": (_with("repositories.0", "acme/web"), "repositories[0]"),
    "required key missing": (_without("ssh_keys.0.fingerprint"), 'ssh_keys[0] ("laptop"): "fingerprint" is required'),
    "days as text": (
        _with("tokens.0.expires_in_days", "30"),
        'tokens[0] ("alice-web"): "expires_in_days" must be a whole number of days or null',
    ),
    "boolean as text": (
        _with("enterprises.0.fine_grained_opted_in", "yes"),
        'enterprises[0] ("bigcorp"): "fine_grained_opted_in" must be true or false',
    ),
    "owners not a list": (
        _with("enterprises.0.owners", "erin"),
        'enterprises[0] ("bigcorp"): "owners" must be a list of names',
    ),
    "permissions not a map": (
        _with("tokens.0.permissions", ["contents"]),
        'tokens[0] ("alice-web"): "permissions" must be an object',
    ),
    "unknown policy": (
        _with("enterprises.0.policy.max_tokens", "9"),
        'enterprises[0] ("bigcorp"): unknown policy "max_tokens"',
    ),
    "unknown token type": (_with("tokens.1.type", "oauth"), 'tokens[1] ("alice-classic"): "type" must be'),
    "scopes on a fine-grained token": (
        _with("tokens.0.scopes", ["repo"]),
        'tokens[0] ("alice-web"): "scopes" does not apply to fine_grained tokens',
    ),
    "unknown review action": (_with("reviews.0.action", "maybe"), 'reviews[0] ("alice-web"): "action" must be'),
    "duplicate token name": (
        _with("tokens.1.name", "alice-web"),
        'tokens[1] ("alice-web"): another token of this file has the same name',
    ),
    "resource owner is another user": (
        _with("tokens.0.resource_owner", "olga"),
        'tokens[0] ("alice-web"): resource owner "olga" is neither the token\'s user nor an organization',
    ),
    # Refused by the services while applying: everything before is rolled back.
    "duplicate user": (
        spec_example(users=[*spec_example()["users"], {"username": "alice"}]),
        "users[4] (\"alice\"): username: The login 'alice' is already taken.",
    ),
    "invalid login": ({"users": [{"username": "al ice"}]}, 'users[0] ("al ice"): username:'),
    "invalid policy choice": (
        _with("enterprises.0.policy.classic_access", "sometimes"),
        'enterprises[0] ("bigcorp"): classic_access:',
    ),
    "invalid base permission": (_with("organizations.0.base_permission", "root"), 'organizations[0] ("acme"): base'),
    "internal repository of a standalone organization": (
        {
            "users": [{"username": "uma"}],
            "organizations": [{"login": "umbrella", "owners": ["uma"]}],
            "repositories": [{"owner": "umbrella", "name": "wiki", "visibility": "internal"}],
        },
        'repositories[0] ("umbrella/wiki"): visibility: Only repositories of organizations in an enterprise',
    ),
    "unknown permission": (
        _with("tokens.0.permissions", {"teleport": "write"}),
        "tokens[0] (\"alice-web\"): permissions: Unknown permission 'teleport'.",
    ),
    "unknown scope": (_with("tokens.1.scopes", ["root"]), 'tokens[1] ("alice-classic"): scopes: Unknown scopes: root.'),
    "unknown repository": (
        _with("tokens.0.repositories", ["mobile"]),
        'tokens[0] ("alice-web"): repositories: unknown repository "acme/mobile"',
    ),
    "expiry out of range": (_with("tokens.0.expires_in_days", 0), 'tokens[0] ("alice-web"): expires_in_days:'),
    "token for an organization the user is not in": (
        _with("organizations.0.members", []),
        'tokens[0] ("alice-web"): resource_owner: You are not a member of acme.',
    ),
    "bad fingerprint": (_with("ssh_keys.0.fingerprint", "SHA256:short"), 'ssh_keys[0] ("laptop"): fingerprint:'),
    "review by a non-owner": (_with("reviews.0.by", "alice"), 'reviews[0] ("alice-web"): Only owners of acme'),
    "review without a pending request": (
        _with("reviews", [*spec_example()["reviews"]] * 2),
        'reviews[1] ("alice-web"): token "alice-web" has no pending request in acme',
    ),
    "review of a classic token": (
        _with("reviews.0.token", "alice-classic"),
        'reviews[0] ("alice-classic"): token: "alice-classic" is a classic token',
    ),
    "revocation without a grant": (
        spec_example(reviews=None),
        'revocations[0] ("alice-web"): token "alice-web" has no access to acme to revoke',
    ),
}


@pytest.mark.parametrize(("scenario", "message"), INVALID.values(), ids=INVALID.keys())
def test_invalid_scenario_names_the_entry_and_writes_nothing(scenario, message):
    before = counts()

    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario)

    assert message in str(caught.value)
    assert counts() == before


def test_shape_errors_are_reported_together():
    scenario = spec_example()
    scenario["tokens"][0]["user"] = 7
    scenario["ssh_keys"][0]["title"] = None

    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario)

    assert caught.value.errors == [
        'tokens[0] ("alice-web"): "user" must be text',
        'ssh_keys[0]: "title" must be text',
    ]


def test_loading_twice_fails_and_keeps_the_first_load():
    load_scenario(spec_example())
    before = counts()

    with pytest.raises(ScenarioError, match=r"users\[0\] \(\"alice\"\): username: The login 'alice' is already taken"):
        load_scenario(spec_example())
    assert counts() == before


# --- The command ------------------------------------------------------------


def test_command_prints_json_last(tmp_path):
    output = run_command("load_scenario", str(write_json(tmp_path, spec_example())))

    assert output.splitlines()[0] == (
        "Loaded 4 users, 1 enterprise, 1 organization, 1 repository, 2 tokens, 1 SSH key, 1 review, 1 revocation, "
        "1 token revocation."
    )
    assert list(json.loads(last_line(output))) == ["tokens"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "invalid JSON at line 1, column 2"),
        (b"\xff\xfe{}", "not UTF-8"),
        (json.dumps({"users": [{"username": "alice", "shoe_size": 9}]}), 'users[0] ("alice"): unknown key "shoe_size"'),
        (json.dumps(spec_example(revocations=[{"token": "alice-web", "by": "alice"}])), "revocations[0]"),
    ],
    ids=["missing", "invalid json", "not utf-8", "unknown key", "late service error"],
)
def test_command_refuses_bad_files(tmp_path, content, message):
    path = tmp_path / "scenario.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    before = counts()

    with pytest.raises(CommandError) as caught:
        run_command("load_scenario", str(path))

    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert counts() == before
