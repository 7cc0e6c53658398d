"""Several deliverers at once send each email once (PostgreSQL row locks, SKIP LOCKED).

PostgreSQL only: SQLite has no row locks (run one deliverer at a time there).
"""

import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, transaction

from outbox.models import OutboundEmail
from outbox.services import outbound_email_deliver, outbound_emails_deliver
from tests.outbox.helpers import request_for
from tokens import services

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks"),
]


def run_in_thread(action, *, results, started=None):
    """Run `action` in a thread with its own connection; its return value or error lands in `results`."""

    def run():
        from django.db import connection as thread_connection

        try:
            if started is not None:
                started.wait(timeout=30)
            results.append(action())
        except Exception as error:  # shown by the caller's assertion
            results.append(repr(error))
        finally:
            thread_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def left_by_a_crash(cast):
    """Ten committed reviews whose emails the on-commit hook never sent."""
    with mock.patch.object(transaction, "on_commit"):
        for number in range(10):
            request = request_for(cast, name=f"token-{number}")
            services.access_request_review(request=request, reviewer=cast.olga, approve=True)
    assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 10
    return [f"token-{number}" for number in range(10)]


def test_two_deliverers_at_once_send_each_email_once(left_by_a_crash):
    start, results = threading.Barrier(2), []
    threads = [run_in_thread(outbound_emails_deliver, results=results, started=start) for _ in range(2)]
    for thread in threads:
        thread.join(timeout=60)

    assert sum(delivered.sent for delivered in results) == 10, results
    assert all(delivered.failed == delivered.parked == 0 for delivered in results), results
    names = sorted(message.subject.split("“")[1].rstrip("”") for message in mail.outbox)
    assert names == sorted(left_by_a_crash)
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}


def test_a_deliverer_skips_an_email_another_holds_instead_of_waiting(left_by_a_crash):
    held_id = OutboundEmail.objects.order_by("pk").first().pk
    holding, release, results = threading.Event(), threading.Event(), []

    def hold():
        with transaction.atomic():
            OutboundEmail.objects.select_for_update().get(pk=held_id)
            holding.set()
            release.wait(timeout=30)
        return "released"

    holder = run_in_thread(hold, results=results)
    assert holding.wait(timeout=30)
    try:
        assert outbound_email_deliver(email_id=held_id) is False  # the on-commit hook, say
        assert outbound_emails_deliver() == (9, 0, 0)
    finally:
        release.set()
        holder.join(timeout=60)
    assert results == ["released"]
    assert outbound_emails_deliver() == (1, 0, 0)
    assert len(mail.outbox) == 10
