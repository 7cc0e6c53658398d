"""Shared by the command tests: the behaviour §9 example and ways to run and count."""

import copy
import json
from io import StringIO

from django.core.management import call_command

from audit.models import AuditEvent
from enterprises.models import Enterprise
from organizations.models import Membership, Organization, Repository, User
from tokens.engine.access import check
from tokens.engine.catalogue import parse_permission
from tokens.engine.facts import CheckInput, parse_resource
from tokens.models import AccessRequest, ApiClient, ClassicToken, FineGrainedToken, Grant, SSHKey

FINGERPRINT = "SHA256:UNhY4JhezH9gQYqvDMWrWH9CwlcKiECVqejMrND2VFw"
MODELS = (
    User,
    Enterprise,
    Organization,
    Membership,
    Repository,
    FineGrainedToken,
    ClassicToken,
    SSHKey,
    AccessRequest,
    Grant,
    ApiClient,
    AuditEvent,
)

# behaviour §9's example, with the owners it names (erin, olga) listed among the
# users as §9 requires, and a real fingerprint in place of "SHA256:…".
SPEC_EXAMPLE = {
    "users": [
        {"username": "alice", "email": "alice@example.com"},
        {"username": "emu_bob", "managed_by": "bigcorp"},
        {"username": "erin"},
        {"username": "olga"},
    ],
    "enterprises": [
        {
            "slug": "bigcorp",
            "name": "Big Corp",
            "owners": ["erin"],
            "fine_grained_opted_in": True,
            "policy": {
                "fine_grained_access": "org_configurable",
                "fine_grained_approval": "require",
                "classic_access": "restrict",
            },
        }
    ],
    "organizations": [
        {
            "login": "acme",
            "enterprise": "bigcorp",
            "owners": ["olga"],
            "members": ["alice"],
            "base_permission": "write",
            "fine_grained_opted_in": False,
            "policy": {
                "fine_grained_access": "allow",
                "fine_grained_approval": "not_required",
                "classic_access": "allow",
            },
        }
    ],
    "repositories": [{"owner": "acme", "name": "web", "visibility": "private"}],
    "tokens": [
        {
            "name": "alice-web",
            "user": "alice",
            "type": "fine_grained",
            "resource_owner": "acme",
            "repository_access": "selected",
            "repositories": ["web"],
            "permissions": {"contents": "write"},
            "expires_in_days": 30,
            "justification": "deploys",
        },
        {
            "name": "alice-classic",
            "user": "alice",
            "type": "classic",
            "scopes": ["repo", "read:org"],
            "expires_in_days": None,
        },
    ],
    "ssh_keys": [{"user": "alice", "title": "laptop", "fingerprint": FINGERPRINT, "created_by_token": "alice-classic"}],
    "reviews": [{"token": "alice-web", "organization": "acme", "action": "approve", "by": "olga", "reason": None}],
    "revocations": [{"token": "alice-web", "organization": "acme", "by": "olga"}],
    "token_revocations": ["alice-classic"],
}


def spec_example(**changes) -> dict:
    """A fresh copy of the example; a key given None is dropped."""
    scenario = copy.deepcopy(SPEC_EXAMPLE)
    for key, value in changes.items():
        if value is None:
            scenario.pop(key, None)
        else:
            scenario[key] = value
    return scenario


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def run_command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def last_line(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


def write_json(tmp_path, data, name="scenario.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def decide(resource: str, permission: str, *, token=None, fingerprint=None):
    name, level = parse_permission(permission)
    check_input = CheckInput(
        resource=parse_resource(resource), permission=name, level=level, token=token, ssh_key_fingerprint=fingerprint
    )
    return check(check_input).decision
