"""Two transactions writing what one resource's row depends on leave it current (PostgreSQL, READ COMMITTED).

Each recompute first locks what its rows depend on (tokens/engine/materialized_resources.py).
Here the first transaction writes and stays open; the second, on another
connection, writes something the same row depends on and waits for the first's
lock; once the first commits, the second recomputes from what it committed.
Without the lock the second would recompute from a snapshot missing the
first's change, and, committing last, win with stale facts: so it goes for a
new repository, and for an organization moving into an enterprise. (In the
other pairs the materialized row's own row lock would order them too; that
the second waited for an advisory lock shows this lock did.)
"""

import threading
import time

import pytest
from django.db import connection, transaction

from enterprises.models import Enterprise
from organizations.models import Organization, Repository
from tests.factories import RepositoryFactory

from .test_materialized_resources import assert_materialized_as_queried

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's locks"),
    pytest.mark.django_db(transaction=True),
]


def another_session_waits_for_an_advisory_lock() -> bool:
    """Polled, for up to 30 seconds: the second transaction has reached the first's lock."""
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted)")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.01)
    return False


def write_at_once(first, second) -> bool:
    """`first` in a transaction held open until `second`, on another connection, waits for its lock.

    Whether `second` waited.
    """
    first_wrote = threading.Event()
    errors = []

    def run_second():
        try:
            first_wrote.wait(timeout=30)
            second()
        except Exception as error:  # shown by the caller's assertion
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run_second)
    thread.start()
    with transaction.atomic():
        first()
        first_wrote.set()
        waited = another_session_waits_for_an_advisory_lock()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert errors == []
    return waited


def organization_policy(cast):
    return lambda: Organization.objects.filter(pk=cast.acme.pk).update(classic_access="restrict")


def enterprise_policy(cast):
    return lambda: Enterprise.objects.filter(pk=cast.bigcorp.pk).update(fine_grained_access="restrict")


PAIRS = {
    "an organization's policy, then a repository's visibility": (
        organization_policy,
        lambda cast: lambda: Repository.objects.filter(pk=cast.web.pk).update(visibility="public"),
    ),
    "a repository's visibility, then its organization's policy": (
        lambda cast: lambda: Repository.objects.filter(pk=cast.web.pk).update(visibility="public"),
        organization_policy,
    ),
    "an organization's policy, then a new repository": (
        organization_policy,
        lambda cast: lambda: RepositoryFactory(owner_organization=cast.acme, name="new.one"),
    ),
    "an enterprise's policy, then an organization's": (enterprise_policy, organization_policy),
    "an organization moving into an enterprise, then the enterprise's policy": (
        lambda cast: lambda: Organization.objects.filter(pk=cast.umbrella.pk).update(enterprise=cast.bigcorp),
        enterprise_policy,
    ),
}


@pytest.mark.parametrize(("first", "second"), PAIRS.values(), ids=PAIRS.keys())
def test_the_second_waits_for_the_first_then_recomputes_from_what_it_committed(cast, first, second):
    waited = write_at_once(first(cast), second(cast))

    assert waited
    assert_materialized_as_queried()
