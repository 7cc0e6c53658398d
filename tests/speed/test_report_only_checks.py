"""A report-only policy costs the check no query (behaviour §5.8): its values ride along the resource's row."""

from unittest.mock import patch

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policies.models import StagedPolicyFlip
from policies.services import policy_discard_staged, policy_stage
from tests.factories import classic_token
from tokens.engine import report_only, usage

from ..tokens.engine.helpers import check_token


@pytest.fixture(autouse=True)
def _flips_written_by_the_writer(settings):
    settings.PATROL_FACTS_CACHE = True
    settings.PATROL_LAST_USE_FLUSH_SECONDS = 1
    with patch.object(report_only._writer, "start"), patch.object(usage, "_start_writer"):
        yield
    usage.forget()  # nothing left for the exits' flushes, after the test database is gone
    report_only.forget()


@pytest.fixture
def token(cast):
    return classic_token(cast.alice, scopes=["repo"]).plaintext


def test_a_cold_check_on_a_resource_with_a_staged_policy_is_one_query(cast, token):
    policy_stage(instance=cast.acme, actor=cast.olga, values={"classic_access": "restrict"})
    policy_stage(instance=cast.bigcorp, actor=cast.erin, values={"fine_grained_access": "restrict"})
    connection.features.supports_json_field  # the database's own feature probe, once a process
    with CaptureQueriesContext(connection) as queries:
        assert check_token(token, "acme/web", "contents:read").allowed
    assert len(queries) == 1
    assert len(report_only._pending) == 1  # the classic restriction; the fine-grained one changes nothing here


def test_a_warm_check_with_a_staged_policy_makes_no_query(cast, token):
    policy_stage(instance=cast.acme, actor=cast.olga, values={"classic_access": "restrict"})
    check_token(token, "acme/web", "contents:read")
    with CaptureQueriesContext(connection) as queries:
        check_token(token, "acme/web", "contents:read")
    assert len(queries) == 0
    assert report_only.flush() == 1
    assert StagedPolicyFlip.objects.get().count == 2


def test_staging_and_discarding_are_seen_by_the_next_warm_check(cast, token):
    check_token(token, "acme/web", "contents:read")  # held without a staged policy
    staged = policy_stage(instance=cast.acme, actor=cast.olga, values={"classic_access": "restrict"})
    check_token(token, "acme/web", "contents:read")
    assert len(report_only._pending) == 1

    policy_discard_staged(instance=cast.acme, actor=cast.olga, staged_id=staged.pk)
    report_only.forget()
    check_token(token, "acme/web", "contents:read")
    assert not report_only._pending
