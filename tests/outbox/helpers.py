from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

from django.core.mail import BadHeaderError
from django.utils import timezone

from outbox.models import OutboundEmail
from outbox.services import email_sender
from tests.factories import AccessRequestFactory


def request_for(cast, name=None):
    """A pending request of alice's for read access to acme's contents."""
    kwargs = {"name": name} if name else {}
    return AccessRequestFactory(user=cast.alice, organization=cast.acme, permissions={"contents": "read"}, **kwargs)


@email_sender("tests.poison")
def poison(*, number: int) -> None:
    """An email that can never be sent: it raises on every attempt, as a header with a line break did."""
    # Quoting what it refused, NUL included, as an error from a sender may (PostgreSQL cannot store a NUL).
    raise BadHeaderError(f"Header values can't contain newlines (got 'deploy\nBcc: x@y\x00' in email {number})")


def poison_email(number: int = 1) -> OutboundEmail:
    return OutboundEmail.objects.create(kind=poison.outbox_kind, payload={"number": number})


@contextmanager
def at(moment):
    """Run the block with the clock stopped at `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def later(seconds: float):
    """Run the block as if `seconds` had passed (a failed email's backoff, say)."""
    return at(timezone.now() + timedelta(seconds=seconds))
