"""The PostgreSQL backend keeps one cursor per connection for the access check's statements
(config/postgresql/base.py): the same cursor each time, Django's errors and transaction rules,
and Django's own cursor whenever something counts queries."""

import pytest
from django.db import DatabaseError, ProgrammingError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's kept cursor"),
]


def select(value: int) -> list[tuple]:
    with connection.statement_cursor() as cursor:
        cursor.execute("SELECT %s::int", [value])
        return cursor.fetchall()


def test_statements_share_one_cursor_while_the_connection_lives():
    first, second = connection.statement_cursor(), connection.statement_cursor()

    assert first is second
    assert (select(1), select(2)) == ([(1,)], [(2,)])


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_gets_a_new_cursor():
    before = connection.statement_cursor()
    connection.close()

    assert connection.statement_cursor() is not before
    assert select(3) == [(3,)]


def test_an_error_is_djangos_and_the_cursor_still_works_after_it():
    with pytest.raises(ProgrammingError), transaction.atomic(), connection.statement_cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")

    assert select(4) == [(4,)]


def test_a_statement_in_a_transaction_marked_for_rollback_is_refused():
    with transaction.atomic():
        try:
            with transaction.atomic(savepoint=False), connection.statement_cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        except DatabaseError:
            pass
        with pytest.raises(TransactionManagementError):
            select(5)


def test_while_queries_are_captured_they_go_through_djangos_cursor_and_are_counted():
    with CaptureQueriesContext(connection) as queries:
        select(6)

    assert [query["sql"] for query in queries.captured_queries] == ["SELECT 6::int"]


def test_with_an_execute_wrapper_installed_statements_pass_through_it():
    seen = []

    def spy(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        select(7)

    assert seen == ["SELECT %s::int"]
