"""The database down, as the product meets it: every statement refused by the driver."""

from unittest.mock import patch

from django.db import OperationalError, connection
from django.db.backends.utils import CursorWrapper


def database_unreachable():
    """Every statement fails as it does when the database is down, whichever cursor sends it:
    Django's, or on PostgreSQL the cursor the backend keeps for the check's statements."""
    if connection.vendor == "postgresql":
        import psycopg

        return patch.object(psycopg.Cursor, "execute", side_effect=psycopg.OperationalError("connection refused"))
    return patch.object(CursorWrapper, "execute", side_effect=OperationalError("connection refused"))
