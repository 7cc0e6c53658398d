"""Both ready-made parts of a check's facts on PostgreSQL, for whoever loads rows past the triggers.

tokens.engine.materialized_credentials and tokens.engine.materialized_resources
keep one row per credential and per resource current with triggers. A bulk
load that switches triggers off (a world builder, a restore) ends with a
rebuild of both; `deferred()` does the two together.
"""

from contextlib import contextmanager

from django.db import connection

from . import materialized_credentials, materialized_resources


def rebuild() -> None:
    """Every credential's and resource's row computed again from the tables."""
    if connection.vendor == "postgresql":
        materialized_credentials.rebuild()
        materialized_resources.rebuild()


@contextmanager
def deferred():
    """This session's triggers off while the block loads (foreign key checks too: the loader vouches for
    its rows), then one rebuild. Needs a superuser on PostgreSQL; nothing to do on SQLite."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
    rebuild()
