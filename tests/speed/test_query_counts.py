"""The facts loader costs a fixed number of queries whatever the data size (behaviour §4,
tokens/engine/facts.py): none for a malformed credential, one for the rest — the
credential with its user's standing and the resource, side by side. A warm-up
check runs first: SQLite's first JSON query on a connection does a one-off
feature probe.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    OrganizationFactory,
    RepositoryFactory,
    UserFactory,
    classic_token,
    fine_grained_token,
    fingerprint_for,
    pending_request,
)
from tests.tokens.engine.helpers import check_input
from tokens import services
from tokens.choices import CredentialType
from tokens.engine.access import check
from tokens.engine.credentials import generate
from tokens.engine.source import DatabaseSource


@pytest.fixture
def credentials(cast):
    """One credential of each kind, with a grant, a request and an SSH key to load."""
    members = fine_grained_token(
        cast.alice,
        resource_owner=cast.acme,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"contents": "read", "members": "read"},
        approved=True,
    )
    services.fine_grained_token_update(
        token=members.token, actor=cast.alice, permissions={"contents": "read", "members": "read", "issues": "read"}
    )
    found = {
        "fine_grained": members.plaintext,
        "own_fine_grained": fine_grained_token(cast.alice, permissions={"keys": "read"}).plaintext,
        "classic": classic_token(cast.erin, scopes=["repo", "admin:enterprise"]).plaintext,
        "ssh_key": services.ssh_key_create(
            user=cast.alice, title="laptop", fingerprint=fingerprint_for("q")
        ).fingerprint,
    }
    # Warm-up: the connection's one-off probes happen here, not in the measured checks.
    check(check_input("acme/web", "contents:read", token=members.plaintext))
    return found


CASES = [
    pytest.param("fine_grained", "acme/web", "contents:read", "allowed", id="fine-grained, repository"),
    pytest.param("fine_grained", "acme/web", "issues:read", "approval_pending", id="fine-grained, pending"),
    pytest.param("fine_grained", "acme", "members:read", "allowed", id="fine-grained, organization"),
    pytest.param("fine_grained", "acme/nothing", "contents:read", "resource_not_found", id="missing repository"),
    pytest.param("own_fine_grained", "alice", "keys:read", "allowed", id="fine-grained, own account"),
    pytest.param(
        "classic", "enterprise:bigcorp", "enterprise_administration:read", "allowed", id="classic, enterprise"
    ),
    pytest.param("classic", "acme/docs", "contents:read", "public_read", id="classic, public repository"),
    pytest.param("ssh_key", "acme/handbook", "contents:read", "allowed", id="ssh key, internal repository"),
]


def decided(check):
    """(decision, loaded credential, resource), straight from the database."""
    [answer] = DatabaseSource().decide([check], now=timezone.now())
    return answer


def load(credentials, kind, resource, permission):
    if kind == "ssh_key":
        return decided(check_input(resource, permission, ssh_key_fingerprint=credentials[kind]))
    return decided(check_input(resource, permission, token=credentials[kind]))


def add_more_of_everything(cast):
    """Many more organizations, repositories, memberships, tokens, requests and grants."""
    for number in range(15):
        organization = OrganizationFactory(
            login=f"extra{number}", enterprise=cast.bigcorp, owners=[cast.olga], members=[cast.alice]
        )
        repositories = [RepositoryFactory(owner_organization=organization, name=f"r{n}") for n in range(4)]
        RepositoryFactory(owner_user=cast.alice, name=f"mine{number}")
        for user in (cast.alice, cast.olga):
            issued = fine_grained_token(
                user,
                resource_owner=organization,
                repository_access="selected",
                repositories=repositories,
                permissions={"contents": "read"},
            )
            if user == cast.alice and number % 2:
                services.access_request_review(request=pending_request(issued.token), reviewer=cast.olga, approve=True)
        classic_token(UserFactory(username=f"someone{number}"), scopes=["repo"])
    for number in range(10):
        RepositoryFactory(owner_organization=cast.acme, name=f"more{number}")


@pytest.mark.parametrize(("kind", "resource", "permission", "reason"), CASES)
def test_loader_uses_one_query(credentials, kind, resource, permission, reason):
    with CaptureQueriesContext(connection) as queries:
        decision, _, _ = load(credentials, kind, resource, permission)

    assert len(queries) == 1, [query["sql"] for query in queries]
    assert decision.reason == reason


@pytest.mark.parametrize(("kind", "resource", "permission", "reason"), CASES)
def test_loader_uses_the_same_queries_with_much_more_data(cast, credentials, kind, resource, permission, reason):
    add_more_of_everything(cast)

    with CaptureQueriesContext(connection) as queries:
        decision, _, _ = load(credentials, kind, resource, permission)

    assert len(queries) == 1, [query["sql"] for query in queries]
    assert decision.reason == reason


def test_malformed_credential_costs_no_query(credentials):
    with CaptureQueriesContext(connection) as queries:
        decision, record, _ = decided(check_input("acme/web", "contents:read", token="not-a-token"))

    assert (len(queries), record, decision.reason) == (0, None, "credential_invalid")


def test_malformed_fingerprint_costs_no_query(credentials):
    with CaptureQueriesContext(connection) as queries:
        decided(check_input("acme/web", "contents:read", ssh_key_fingerprint="SHA256:short"))

    assert len(queries) == 0


def test_unknown_token_costs_one_query_and_one_asking_whether_it_was_rotated_away(credentials):
    """Without the facts cache; with it, the second is asked beside the check (tests/tokens/api/test_token_rotate)."""
    unknown = generate(CredentialType.CLASSIC)  # well formed, never issued

    with CaptureQueriesContext(connection) as queries:
        decision, record, _ = decided(check_input("acme/web", "contents:read", token=unknown))

    assert (len(queries), record, decision.reason) == (2, None, "credential_invalid")
    assert "tokens_retiredsecret" in queries[1]["sql"]


def test_successful_check_records_use_at_most_once_a_minute(credentials):
    token = credentials["fine_grained"]
    start = timezone.now() + timedelta(minutes=5)
    checks = {}
    for label, at in [
        ("first", start),
        ("30 s later", start + timedelta(seconds=30)),
        ("2 min later", start + timedelta(minutes=2)),
    ]:
        with CaptureQueriesContext(connection) as queries:
            decision = check(check_input("acme/web", "contents:read", token=token), now=at).decision
        assert decision.allowed
        checks[label] = len(queries)

    assert checks == {"first": 2, "30 s later": 1, "2 min later": 2}


def test_denied_check_records_no_use(credentials):
    token = credentials["fine_grained"]

    with CaptureQueriesContext(connection) as queries:
        decision = check(check_input("acme/web", "issues:read", token=token)).decision

    assert (decision.allowed, len(queries)) == (False, 1)
