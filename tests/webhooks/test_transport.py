"""What an attempt does at the socket: TLS is verified against the URL's name, and a silent receiver times out."""

import shutil
import socket
import ssl
import subprocess
import threading

import pytest

from outbox.services import outbound_emails_deliver
from tests.conftest import request_for
from tests.factories import WebhookEndpointFactory
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
    assert "timed out" in attempt.error


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl binary to make a certificate")
def test_an_https_receiver_whose_certificate_is_not_trusted_gets_nothing(cast, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
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
    assert "CERTIFICATE_VERIFY_FAILED" in attempt.error
