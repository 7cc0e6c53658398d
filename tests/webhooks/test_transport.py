"""What an attempt does at the socket: TLS is verified against the URL's name, and a silent
or dribbling receiver times out."""

import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from outbox.services import outbound_emails_deliver
from tests.conftest import request_for
from tests.factories import WebhookEndpointFactory
from webhooks import transport
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.usefixtures("private_targets")


@pytest.fixture
def listener():
    """A loopback socket that accepts connections and answers nothing; yields (socket, port)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server, server.getsockname()[1]
    server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
    server.close()
    for connection in accepted:
        connection.close()
    thread.join(timeout=5)


def only_attempt(endpoint):
    return WebhookDelivery.objects.get(endpoint=endpoint).attempts.get()


def test_a_receiver_that_never_answers_times_out(cast, listener, settings):
    settings.PATROL_WEBHOOKS_TIMEOUT_SECONDS = 1
    _, port = listener
    endpoint = WebhookEndpointFactory(organization=cast.acme, url=f"http://127.0.0.1:{port}/hook")
    request_for(cast.alice, cast)

    assert outbound_emails_deliver().failed == 1

    attempt = only_attempt(endpoint)
    assert attempt.status_code is None
    assert attempt.error == "Timed out: no whole answer within 1 s."


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for localhost: (certificate file, key file)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl binary to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def read_request(connection) -> None:
    """Read the whole request: a receiver that closes with some of it unread sends a reset, not its answer."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    length = int(lengths[0])
    while len(body) < length:
        body += connection.recv(65536)


@pytest.fixture
def sender():
    """A loopback receiver that reads the request, then sends `answer` and closes: at once, or,
    dribbling, a byte every 0.2 s for up to 30 s (each byte well inside a 1 s socket timeout).
    Yields a function that starts it (over TLS with a server context) and returns its port."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    threads = []

    def start(answer: bytes, *, dribbling: bool = False, tls: ssl.SSLContext | None = None) -> int:
        def serve():
            connection, _ = server.accept()
            if tls is not None:
                connection = tls.wrap_socket(connection, server_side=True)
            with connection:
                read_request(connection)
                if not dribbling:
                    connection.sendall(answer)
                    return
                deadline = time.monotonic() + 30
                for byte in answer:
                    if stop.wait(0.2) or time.monotonic() > deadline:
                        return
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:  # the sender gave up
                        return

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        return server.getsockname()[1]

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
    server.close()


DRIBBLED_HEADERS = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000 + b"\r\n\r\n"
DRIBBLED_BODY = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"a" * 1000


def assert_cut_off(endpoint):
    attempt = only_attempt(endpoint)
    assert attempt.status_code is None
    assert attempt.error == "Timed out: no whole answer within 1 s."
    assert attempt.duration_ms < 5_000


@pytest.mark.parametrize("answer", [DRIBBLED_HEADERS, DRIBBLED_BODY], ids=["headers", "body"])
def test_a_receiver_that_dribbles_its_answer_is_cut_off_at_the_timeout_in_all(cast, sender, settings, answer):
    settings.PATROL_WEBHOOKS_TIMEOUT_SECONDS = 1
    port = sender(answer, dribbling=True)
    endpoint = WebhookEndpointFactory(organization=cast.acme, url=f"http://127.0.0.1:{port}/hook")
    request_for(cast.alice, cast)

    assert outbound_emails_deliver().failed == 1
    assert_cut_off(endpoint)


def test_an_https_receiver_that_dribbles_its_answer_is_cut_off_too(cast, sender, certificate, settings, monkeypatch):
    settings.PATROL_WEBHOOKS_TIMEOUT_SECONDS = 1
    cert, key = certificate
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=cert)
    monkeypatch.setattr(transport.ssl, "create_default_context", lambda: trusting)
    port = sender(DRIBBLED_BODY, dribbling=True, tls=server_side)
    endpoint = WebhookEndpointFactory(organization=cast.acme, url=f"https://localhost:{port}/hook")
    request_for(cast.alice, cast)

    assert outbound_emails_deliver().failed == 1
    assert_cut_off(endpoint)


def test_an_https_receiver_whose_certificate_is_not_trusted_gets_nothing(cast, certificate):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        try:
            connection, _ = server.accept()
            with context.wrap_socket(connection, server_side=True):
                pass
        except OSError:  # the client refuses the certificate mid-handshake (ssl.SSLError is an OSError)
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    endpoint = WebhookEndpointFactory(organization=cast.acme, url=f"https://localhost:{server.getsockname()[1]}/hook")
    request_for(cast.alice, cast)

    assert outbound_emails_deliver().failed == 1
    thread.join(timeout=5)
    server.close()

    attempt = only_attempt(endpoint)
    assert attempt.error.startswith("The receiver's certificate is not trusted: ")
    assert "self-signed" in attempt.error


CLOSED_EARLY = "The receiver closed the connection before answering in full."


@pytest.mark.parametrize(
    "answer, words",
    [
        (b"", CLOSED_EARLY),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", CLOSED_EARLY),
        (b"SPAM\r\n\r\n", "The receiver's answer was not HTTP."),
    ],
    ids=["nothing", "a chunk cut short", "not http"],
)
def test_a_receiver_that_answers_no_http_is_an_attempt_saying_so_in_words(cast, sender, answer, words):
    endpoint = WebhookEndpointFactory(organization=cast.acme, url=f"http://127.0.0.1:{sender(answer)}/hook")
    request_for(cast.alice, cast)

    assert outbound_emails_deliver().failed == 1

    attempt = only_attempt(endpoint)
    assert attempt.status_code is None
    assert attempt.error == words
