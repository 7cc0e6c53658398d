"""PostgreSQL as Django's own backend, with a health check that needs no round trip.

Django's `conn_health_checks` sends `SELECT 1` before the first query of every
request that reuses a connection. For an access check whose facts no process
holds, which makes one query, that doubles the round trips.

A connection the server has ended is known without asking: when PostgreSQL
ends a backend (a restart, `pg_terminate_backend`, `idle_session_timeout`) it
sends an error and closes the socket. Between requests nothing else arrives
(Patrol never LISTENs), so an idle connection's socket is readable only if the
server has gone. This backend looks at that, and at what psycopg already
knows, instead of asking; a connection found broken is closed and the request
opens a new one, as with Django's check. A connection on which a query failed
is still checked with `SELECT 1` at the end of its request (Django's
`errors_occurred`).

It also keeps one cursor for the connection's life (`statement_cursor`) for
the access check's few statements. Django's `cursor()` builds a psycopg cursor
and its own wrapper for every statement, and closes both after it: for a check
that makes one query, that is about a third of the client's cost of the query.
"""

import select

from django.db.backends.postgresql import base
from django.utils.asyncio import async_unsafe
from psycopg import pq

# A transaction left open is usable (a test's, or ATOMIC_REQUESTS'); a failed
# one is not: `SELECT 1` would fail in it too.
USABLE = {pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS}


class KeptCursor:
    """A psycopg cursor kept for its connection's life, used as Django's cursor is (`with … as cursor`).

    One statement at a time: fetch a statement's rows before the next runs.
    Errors are Django's (`wrap_database_errors`) and a broken transaction is
    refused, as Django's own cursor does; the cursor stays open on leaving.
    """

    def __init__(self, cursor, database):
        self.cursor = cursor
        self.database = database

    def __enter__(self):
        self.database.validate_no_broken_transaction()
        return self.cursor

    def __exit__(self, error_type, error, traceback):
        return self.database.wrap_database_errors.__exit__(error_type, error, traceback)


class DatabaseWrapper(base.DatabaseWrapper):
    kept = None  # (the psycopg connection, the KeptCursor kept for it)

    @async_unsafe
    def statement_cursor(self):
        """A cursor for one statement at a time, kept for the connection's life (above).

        While queries are logged or wrapped (DEBUG, `assertNumQueries`,
        `execute_wrapper`), Django's own cursor, so whatever counts queries
        counts these too.
        """
        if self.queries_logged or self.execute_wrappers:
            return self.cursor()
        self.close_if_health_check_failed()
        self.ensure_connection()
        self.validate_thread_sharing()
        kept = self.kept
        if kept is None or kept[0] is not self.connection:
            with self.wrap_database_errors:
                kept = self.kept = (self.connection, KeptCursor(self.create_cursor(), self))
        return kept[1]

    def _close(self):
        self.kept = None
        super()._close()

    def close_if_health_check_failed(self):
        if self.pool or self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not self.is_open():
            self.close()
        self.health_check_done = True

    def is_open(self) -> bool:
        """What the connection's own state and its socket say, without a round trip."""
        connection = self.connection
        if connection.closed or connection.pgconn.transaction_status not in USABLE:
            return False
        waiting = select.poll()
        waiting.register(connection.fileno(), select.POLLIN)
        return not waiting.poll(0)
