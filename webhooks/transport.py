"""One HTTP POST to a webhook target, to an address checked at the moment of sending.

The host is resolved here, and every address it resolves to is checked
(`validators.address_refused`) before connecting to the one checked: a name
that pointed somewhere public when the endpoint was saved and now points inside
(DNS rebinding) is refused. The connection goes to that address, with the
name kept for the Host header and for TLS (SNI, certificate check).
Redirects are not followed: http.client never does, and a 3xx counts as a failure.

`PATROL_WEBHOOKS_TIMEOUT_SECONDS` bounds the whole attempt, not each wait: a
socket timeout alone lets a receiver that sends a byte just inside it hold the
outbox, and every delivery queued behind it, for as long as it likes.
"""

import contextlib
import http.client
import socket
import ssl
import threading
from urllib.parse import urlsplit

from django.conf import settings

from .validators import address_refused

RESPONSE_LIMIT = 64 * 1024  # read and dropped: only the status is kept


class TargetRefused(Exception):
    """The target resolves to an address webhooks may not reach; nothing was sent."""


class Unresolvable(TargetRefused):
    """The target's name does not resolve (now); nothing was sent."""


def resolve(host: str, port: int) -> str:
    """The address to connect to: the first one `host` resolves to, once every one is allowed."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Unresolvable(f"{host} could not be resolved ({error}).") from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    for address in addresses:
        if why := address_refused(address):
            raise TargetRefused(why)
    return addresses[0]


class _Deadline:
    """The time an attempt may take in all: when it runs out, the connection is shut down,
    which ends whatever send or receive is waiting (a TLS handshake included)."""

    def __init__(self, seconds: float):
        self.expired = False
        self._lock = threading.Lock()
        self._socket = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        """Called once connected. A duplicate is kept, since wrapping a socket for TLS detaches it."""
        with self._lock:
            self._socket = sock.dup()
            if self.expired:
                self._shut_down()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._socket is not None:
                self._shut_down()

    def _shut_down(self) -> None:
        with contextlib.suppress(OSError):  # already closed by the other end
            self._socket.shutdown(socket.SHUT_RDWR)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        with self._lock:
            if self._socket is not None:
                self._socket.close()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address, deadline, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address
        self._deadline = deadline

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self._deadline.watch(self.sock)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, deadline, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address
        self._deadline = deadline

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self._deadline.watch(sock)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` and return the status; raises TargetRefused, or OSError/HTTPException."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    address = resolve(parts.hostname, port)
    connection_class = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    seconds = settings.PATROL_WEBHOOKS_TIMEOUT_SECONDS
    with _Deadline(seconds) as deadline:
        connection = connection_class(parts.hostname, port, address=address, deadline=deadline, timeout=seconds)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(RESPONSE_LIMIT)
        except (OSError, http.client.HTTPException):
            if not deadline.expired:
                raise
        finally:
            connection.close()
        if deadline.expired:  # also when the cut-off ended an answer without a length early
            raise TimeoutError(f"no whole answer within {seconds} s")
    return response.status
