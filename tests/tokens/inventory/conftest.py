"""Credentials on both sides of the tenant line, for the inventory (behaviour §5.1)."""

import pytest
from django.urls import reverse

from tests.factories import SSHKeyFactory, classic_token, fine_grained_token


@pytest.fixture
def inventory(cast):
    """bigcorp's members hold one credential of each type; othercorp's mallory holds two."""
    cast.acme_token = fine_grained_token(
        cast.alice, name="alice-acme", resource_owner=cast.acme, permissions={"contents": "read"}, approved=True
    ).token
    cast.alice_classic = classic_token(cast.alice, note="alice-note", scopes=["repo"]).token
    cast.bob_key = SSHKeyFactory(user=cast.emu_bob, title="bob-laptop")
    cast.globex_token = fine_grained_token(cast.mallory, name="mallory-globex", resource_owner=cast.globex).token
    cast.mallory_classic = classic_token(cast.mallory, note="mallory-note", scopes=["repo"]).token
    cast.url = reverse("enterprise_credentials", args=["bigcorp"])
    cast.export_url = reverse("enterprise_credentials_export", args=["bigcorp"])
    cast.revoke_url = reverse("enterprise_credentials_revoke", args=["bigcorp"])
    return cast


def keys(response) -> set[str]:
    return {row.key for row in response.context["rows"]}
