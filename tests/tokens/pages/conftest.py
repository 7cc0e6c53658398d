import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

PLAINTEXT_RE = re.compile(r"patrol_(?:fg|cl)_[0-9A-Za-z]{38}")


@pytest.fixture
def as_user(client):
    """Sign the test client in as `user` and return it."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def plaintext_in(response) -> str | None:
    """The plaintext a creating or regenerating POST shows, following its redirect to the secret page."""
    if response.status_code == 302:
        response = response.client.get(response["Location"])
    match = PLAINTEXT_RE.search(response.content.decode())
    return match.group(0) if match else None


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)
