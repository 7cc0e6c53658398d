"""A real HTTP receiver on loopback, started by the test, that records what it is sent."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    url: str
    status: int = 200
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver():
    """A local HTTP server answering `receiver.status` to every POST and keeping each request."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(state.status)
            if 300 <= state.status < 400:
                self.send_header("Location", f"{state.url}elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def private_targets(settings):
    """An operator's PATROL_WEBHOOKS_ALLOW_PRIVATE_TARGETS: the receiver is on loopback."""
    settings.PATROL_WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
