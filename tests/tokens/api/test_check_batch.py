"""POST /api/v1/access/check-batch (behaviour §5.4)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import RepositoryFactory, classic_token, fine_grained_token
from tokens import services

BATCH = "/api/v1/access/check-batch"
CHECK = "/api/v1/access/check"


@pytest.fixture
def mixed_checks(cast):
    """Checks across token types, states, resources and kinds of resource."""
    approved = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}, approved=True
    )
    pending = fine_grained_token(
        cast.alice,
        resource_owner=cast.acme,
        repository_access="selected",
        repositories=[cast.web],
        permissions={"issues": "read"},
    )
    own = fine_grained_token(cast.alice, repository_access="all", permissions={"contents": "write", "keys": "write"})
    classic = classic_token(cast.alice, scopes=["repo", "read:org"])
    owner = classic_token(cast.erin, scopes=["admin:enterprise"])
    key = services.ssh_key_create(user=cast.mallory, title="k", fingerprint="SHA256:" + "m" * 43)
    checks = []
    for token in (approved.plaintext, pending.plaintext, own.plaintext, classic.plaintext, "patrol_fg_bad"):
        for resource, permission in [
            ("acme/web", "contents:read"),
            ("acme/web", "issues:read"),
            ("acme/docs", "contents:read"),
            ("acme/handbook", "contents:read"),
            ("alice/dotfiles", "contents:write"),
            ("acme", "members:read"),
            ("alice", "keys:write"),
            ("globex/plans", "contents:read"),
            ("acme/missing", "contents:read"),
        ]:
            checks.append({"token": token, "resource": resource, "permission": permission})
    checks.append(
        {"token": owner.plaintext, "resource": "enterprise:bigcorp", "permission": "enterprise_administration:write"}
    )
    checks.append({"ssh_key_fingerprint": key.fingerprint, "resource": "globex/plans", "permission": "contents:write"})
    checks.append({"ssh_key_fingerprint": key.fingerprint, "resource": "acme/web", "permission": "contents:read"})
    return checks


def test_batch_answers_in_order_and_equals_the_single_checks(api, mixed_checks):
    batch = api.post(BATCH, {"checks": mixed_checks}, format="json")
    assert batch.status_code == 200
    singles = [api.post(CHECK, check, format="json").json() for check in mixed_checks]
    assert batch.json()["results"] == singles


def test_batch_decisions_cover_many_reasons(api, mixed_checks):
    reasons = {
        result["reason"] for result in api.post(BATCH, {"checks": mixed_checks}, format="json").json()["results"]
    }
    assert {"allowed", "approval_pending", "public_read", "credential_invalid", "user_lacks_access"} <= reasons


def test_batch_costs_a_fixed_number_of_queries_whatever_its_size(api, cast, mixed_checks):
    api.post(BATCH, {"checks": mixed_checks[:3]}, format="json")  # warm-up
    with CaptureQueriesContext(connection) as small:
        api.post(BATCH, {"checks": mixed_checks[:5]}, format="json")
    for number in range(20):
        RepositoryFactory(owner_organization=cast.acme, name=f"extra{number}")
    with CaptureQueriesContext(connection) as large:
        api.post(BATCH, {"checks": mixed_checks}, format="json")
    # The API client, seven reads at most (tokens.engine.facts_batch), and a last-use write per token type.
    assert len(large) <= 10, "\n".join(q["sql"][:150] for q in large)
    assert len(small) <= len(large)


def test_empty_batch_answers_400(api, cast):
    response = api.post(BATCH, {"checks": []}, format="json")
    assert response.status_code == 400
    assert "checks" in response.json()


def test_more_than_100_checks_answer_400(api, cast):
    check = {"token": "x", "resource": "acme/web", "permission": "contents:read"}
    response = api.post(BATCH, {"checks": [check] * 101}, format="json")
    assert response.status_code == 400
    assert "checks" in response.json()


def test_a_malformed_check_is_named_by_its_position(api, cast):
    good = {"token": "x", "resource": "acme/web", "permission": "contents:read"}
    response = api.post(BATCH, {"checks": [good, {**good, "resource": "a/b/c"}]}, format="json")
    assert response.status_code == 400
    assert "resource" in response.json()["checks"]["1"]


def test_checks_must_be_objects(api, cast):
    assert api.post(BATCH, {"checks": ["acme/web"]}, format="json").status_code == 400
