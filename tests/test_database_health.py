"""A reused PostgreSQL connection is checked between requests without a round trip
(config/postgresql/base.py), and one the server has ended is still replaced."""

import time

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's health check"),
]


def next_request():
    """What Django does at a request's start and its first query (django.db.close_old_connections)."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(backend: int) -> None:
    """As a restart or an administrator would, from another connection; returns once the backend has gone."""
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend])
                if cursor.fetchone() is None:
                    return
                time.sleep(0.01)
    finally:
        other.close()


def test_a_healthy_connection_is_reused_without_asking_the_server(monkeypatch):
    backend = next_request()
    monkeypatch.setattr(connection, "is_usable", lambda: pytest.fail("a round trip to check the connection"))

    assert next_request() == backend


def test_a_connection_the_server_ended_is_replaced_before_the_next_query():
    backend = next_request()
    terminate(backend)

    assert next_request() != backend


def test_a_connection_in_a_failed_transaction_is_replaced():
    backend = next_request()
    connection.connection.execute("BEGIN")
    with pytest.raises(psycopg.errors.DivisionByZero):
        connection.connection.execute("SELECT 1 / 0")

    assert next_request() != backend


def test_a_connection_the_server_ended_is_replaced_before_a_statement_on_the_kept_cursor():
    backend = next_request()
    terminate(backend)
    connection.close_if_unusable_or_obsolete()  # the next request starts

    with connection.statement_cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != backend
