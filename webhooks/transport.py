"""One HTTP POST to a webhook target, to an address checked at the moment of sending.

The host is resolved here, and every address it resolves to is checked
(`validators.address_refused`) before connecting to the one checked: a name
that pointed somewhere public when the endpoint was saved and now points inside
(DNS rebinding) is refused. The connection goes to that address, with the
name kept for the Host header and for TLS (SNI, certificate check).
Redirects are not followed: http.client never does, and a 3xx counts as a failure.
"""

import http.client
import socket
import ssl
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


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` and return the status; raises TargetRefused, or OSError/HTTPException."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    address = resolve(parts.hostname, port)
    connection_class = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
    connection = connection_class(
        parts.hostname, port, address=address, timeout=settings.PATROL_WEBHOOKS_TIMEOUT_SECONDS
    )
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_LIMIT)
    finally:
        connection.close()
    return response.status
