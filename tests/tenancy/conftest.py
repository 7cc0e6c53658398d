"""The tenant line for the admin tests: tokens, requests, grants and events on both sides."""

import pytest

from audit.services import audit_record
from tests.factories import api_client, classic_token, fine_grained_token
from tokens.models import AccessRequest, Grant


@pytest.fixture
def world(cast):
    """Tokens, requests and grants on both sides of the tenant line."""
    acme_token = fine_grained_token(cast.alice, name="alice-acme", resource_owner=cast.acme)
    globex_token = fine_grained_token(cast.mallory, name="mallory-globex", resource_owner=cast.globex)
    personal = fine_grained_token(cast.alice, name="alice-own")
    cast.acme_token, cast.globex_token, cast.personal = acme_token.token, globex_token.token, personal.token
    cast.alice_classic = classic_token(cast.alice, note="alice-classic").token
    cast.mallory_classic = classic_token(cast.mallory, note="mallory-classic").token
    cast.acme_request = AccessRequest.objects.get(token=cast.acme_token)
    cast.globex_request = AccessRequest.objects.get(token=cast.globex_token)
    cast.acme_grant = Grant.objects.create(
        token=cast.acme_token, organization=cast.acme, repository_access="public", auto_approved=True
    )
    cast.globex_grant = Grant.objects.create(
        token=cast.globex_token, organization=cast.globex, repository_access="public", auto_approved=True
    )
    cast.acme_event = audit_record(action="test.acme_event", actor=cast.olga, organization=cast.acme)
    cast.globex_event = audit_record(action="test.globex_event", actor=cast.gina, organization=cast.globex)
    cast.bigcorp_client = api_client("bigcorp-gateway", enterprise=cast.bigcorp).token
    return cast
