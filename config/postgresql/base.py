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
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq

# A transaction left open is usable (a test's, or ATOMIC_REQUESTS'); a failed
# one is not: `SELECT 1` would fail in it too.
USABLE = {pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS}


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if self.pool or self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not self.is_open():
            self.close()
        self.health_check_done = True

    def is_open(self) -> bool:
        """What the connection's own state and its socket say, without a round trip."""
        connection = self.connection
        if connection.closed or connection.info.transaction_status not in USABLE:
            return False
        waiting = select.poll()
        waiting.register(connection.fileno(), select.POLLIN)
        return not waiting.poll(0)
