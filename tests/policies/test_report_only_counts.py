"""Report-only policies (behaviour §5.8): the report counts exactly the checks a staged policy would answer otherwise.

The oracle is the product itself: after the checks are made and the report
read, the staged policy is enforced and the same checks are asked again; the
checks whose answer changed are the would-be flips the report must have counted.
"""

from collections import Counter
from unittest.mock import patch

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policies.models import StagedPolicyFlip
from policies.services import policy_enforce_staged, policy_stage
from tests.conftest import OWNER_PERMISSIONS, api_for
from tests.factories import classic_token, fine_grained_token
from tokens import services
from tokens.engine import report_only
from tokens.engine.access import check_many

from ..tokens.engine.helpers import check_input

BATCH = "/api/v1/access/check-batch"
CHECK = "/api/v1/access/check"


@pytest.fixture
def mixed_checks(cast):
    """Checks across token types, resources and kinds of resource, as the check API's bodies."""
    approved = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}, approved=True
    )
    pending = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    own = fine_grained_token(cast.alice, repository_access="all", permissions={"contents": "write"})
    long_lived = classic_token(cast.olga, scopes=["repo", "read:org"])
    classic = classic_token(cast.alice, scopes=["repo", "read:org"])
    owner = classic_token(cast.erin, scopes=["admin:enterprise"])
    key = services.ssh_key_create(user=cast.alice, title="k", fingerprint="SHA256:" + "k" * 43)
    checks = []
    for token in (approved.plaintext, pending.plaintext, own.plaintext, classic.plaintext, long_lived.plaintext):
        for resource, permission in [
            ("acme/web", "contents:read"),
            ("acme/docs", "contents:read"),
            ("acme/handbook", "contents:read"),
            ("acme", "members:read"),
            ("alice/dotfiles", "contents:read"),
            ("globex/plans", "contents:read"),
        ]:
            checks.append({"token": token, "resource": resource, "permission": permission})
    checks.append(
        {"token": owner.plaintext, "resource": "enterprise:bigcorp", "permission": "enterprise_administration:read"}
    )
    checks.append({"ssh_key_fingerprint": key.fingerprint, "resource": "acme/web", "permission": "contents:read"})
    return checks


def _answers(api, checks) -> list[bool]:
    return [result["allowed"] for result in api.post(BATCH, {"checks": checks}, format="json").json()["results"]]


def _key(check) -> tuple:
    permission, level = check["permission"].split(":")
    return check.get("token") or check["ssh_key_fingerprint"], check["resource"], permission, level


def _reported() -> Counter:
    """The report's counts, keyed as `_key` keys a check (the credential by its id)."""
    return Counter(
        {
            (row.credential_type, row.credential_id, row.resource, row.permission, row.level): row.count
            for row in StagedPolicyFlip.objects.all()
        }
    )


def _flips_after_enforcing(api, owner, staged, checks, answers) -> Counter:
    """Enforce the staged policy, ask the checks again: the count of each credential's changed answers."""
    policy_enforce_staged(instance=owner, actor=None, staged_id=staged.pk)
    ids = {}
    for result, check in zip(api.post(BATCH, {"checks": checks}, format="json").json()["results"], checks, strict=True):
        if result["token"] is not None:
            ids[_key(check)[0]] = (result["token"]["type"], result["token"]["id"])
    after = _answers(api, checks)
    flips = Counter()
    for check, before, now in zip(checks, answers, after, strict=True):
        if before != now:
            credential, resource, permission, level = _key(check)
            flips[(*ids[credential], resource, permission, level)] += 1
    return flips


def test_an_organizations_report_counts_each_check_its_staged_policy_would_answer_otherwise(api, cast, mixed_checks):
    staged = policy_stage(
        instance=cast.acme,
        actor=cast.olga,
        values={"classic_access": "restrict", "fine_grained_approval": "not_required"},
    )
    answers = [*_answers(api, mixed_checks), *_answers(api, mixed_checks)]  # each check twice
    reported = _reported()

    flips = _flips_after_enforcing(api, cast.acme, staged, mixed_checks + mixed_checks, answers)

    assert flips  # the staged policy changes some answers and not others
    assert len(flips) < len(mixed_checks)
    assert reported == flips


def test_an_enterprises_report_counts_each_check_its_staged_policy_would_answer_otherwise(api, cast, mixed_checks):
    staged = policy_stage(
        instance=cast.bigcorp,
        actor=cast.erin,
        values={"fine_grained_access": "restrict", "classic_access": "restrict"},
    )
    answers = _answers(api, mixed_checks)
    reported = _reported()

    flips = _flips_after_enforcing(api, cast.bigcorp, staged, mixed_checks, answers)

    assert flips
    assert reported == flips


def test_single_checks_are_counted_as_a_batch_of_them_is(api, cast, mixed_checks):
    policy_stage(instance=cast.acme, actor=cast.olga, values={"classic_access": "restrict"})
    for check in mixed_checks:
        api.post(CHECK, check, format="json")
    singles = _reported()
    StagedPolicyFlip.objects.all().delete()

    _answers(api, mixed_checks)

    assert singles
    assert _reported() == singles


def test_checks_answered_from_held_facts_are_each_counted(api, cast, mixed_checks, settings):
    settings.PATROL_FACTS_CACHE = True
    policy_stage(instance=cast.acme, actor=cast.olga, values={"classic_access": "restrict"})
    classic = mixed_checks[3 * 6]  # alice's classic token on acme/web: allowed now, restricted when staged
    for _ in range(3):
        assert api.post(CHECK, classic, format="json").json()["allowed"]

    (row,) = StagedPolicyFlip.objects.all()
    assert (row.count, row.allowed, row.would_be_reason) == (3, True, "classic_restricted")
    assert row.first_seen <= row.last_seen


def test_a_v3_request_the_staged_policy_would_refuse_is_counted(cast):
    owner_token = fine_grained_token(cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS)
    policy_stage(instance=cast.acme, actor=cast.olga, values={"fine_grained_access": "restrict"})

    response = api_for(owner_token.plaintext).get("/api/v3/orgs/acme/personal-access-tokens")

    assert response.status_code == 200
    (row,) = StagedPolicyFlip.objects.all()
    assert (row.resource, row.permission, row.would_be_reason) == (
        "acme",
        "organization_personal_access_tokens",
        "fine_grained_restricted",
    )


def test_no_report_is_kept_without_a_staged_policy(api, mixed_checks):
    _answers(api, mixed_checks)
    assert not StagedPolicyFlip.objects.exists()


def test_the_writer_thread_records_flips_and_the_check_writes_nothing(cast, settings):
    settings.PATROL_LAST_USE_FLUSH_SECONDS = 1
    policy_stage(instance=cast.acme, actor=cast.olga, values={"classic_access": "restrict"})
    token = classic_token(cast.alice, scopes=["repo"])
    checks = [check_input("acme/web", "contents:read", token=token.plaintext)] * 2

    with patch.object(report_only._writer, "start"), CaptureQueriesContext(connection) as queries:
        check_many(checks)
    assert not [query for query in queries if "stagedpolicyflip" in query["sql"].lower()]

    assert report_only.flush() == 1
    (row,) = StagedPolicyFlip.objects.all()
    assert row.count == 2


def test_flips_pending_for_a_policy_no_longer_staged_are_dropped(cast, settings):
    settings.PATROL_LAST_USE_FLUSH_SECONDS = 1
    staged = policy_stage(instance=cast.acme, actor=cast.olga, values={"classic_access": "restrict"})
    token = classic_token(cast.alice, scopes=["repo"])
    with patch.object(report_only._writer, "start"):
        check_many([check_input("acme/web", "contents:read", token=token.plaintext)])
    staged.delete()

    report_only.flush()

    assert not StagedPolicyFlip.objects.exists()


def test_pending_flips_are_written_in_one_statement_and_added_to_their_rows(cast, settings):
    settings.PATROL_LAST_USE_FLUSH_SECONDS = 1
    policy_stage(instance=cast.acme, actor=cast.olga, values={"classic_access": "restrict"})
    tokens = [classic_token(cast.alice, note=f"t{n}", scopes=["repo"]) for n in range(3)]
    checks = [check_input("acme/web", "contents:read", token=token.plaintext) for token in tokens]
    with patch.object(report_only._writer, "start"):
        check_many(checks)
        report_only.flush()
        check_many(checks)
        with CaptureQueriesContext(connection) as queries:
            assert report_only.flush() == 3

    writes = [query["sql"] for query in queries if query["sql"].startswith("INSERT")]
    assert len(writes) == 1
    assert sorted(StagedPolicyFlip.objects.values_list("count", flat=True)) == [2, 2, 2]
