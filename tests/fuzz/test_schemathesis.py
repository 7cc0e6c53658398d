"""Schemathesis against the schema the app serves (issue 5).

The OpenAPI schema is loaded from ``/api/schema/`` through the WSGI
application, and every operation in it is called with generated requests,
in-process and inside the test's transaction (so SQLite and PostgreSQL both
work, and nothing outlives the test). Every response must pass schemathesis's
checks: no 5xx, a documented status code and content type, a body that
matches the documented schema, schema-valid requests accepted and invalid
ones refused.

v1 operations send an API client's secret; v3 operations send the
organization owner's own fine-grained token, except the credentials revoke,
which takes none (its per-address limit is lifted here). Half of the
generated v3 paths name the real organization (and its real request or
grant), so examples get past authorization to the views' own parsing; the
other half are whatever the schema allows, which must still answer a clean 4xx.

The run is bounded and repeatable: a fixed seed, derandomized Hypothesis and
MAX_EXAMPLES generated requests per operation (plus schemathesis's own
coverage examples).
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from tests.conftest import OWNER_PERMISSIONS
from tests.factories import (
    OrganizationFactory,
    RepositoryFactory,
    UserFactory,
    fine_grained_token,
    grant_of,
    pending_request,
)
from tokens.services import access_request_review, api_client_create

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 40
SEED = 5

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        # Every API refuses a NUL in any JSON string with a 400 (PostgreSQL text
        # cannot hold one), which the schema's plain strings do not say: those
        # answers are asserted in tests/security/test_hostile_input.py.
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none", "allow-x00": False},
        "operations": [
            {
                # A schema-valid v3 body can still name an id that is not in the
                # organization, or a request already reviewed: GitHub answers 422
                # for those, and so does Patrol. The shape is what the schema
                # promises, not the state.
                "include-path-regex": "^/api/v3/",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 422, 429],
                    }
                },
            }
        ],
    }
)

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), config=CONFIG)

# The current test's world, read by the path hook while Hypothesis draws examples.
known = {}


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests share the test's connection and transaction, as with Django's test client.

    The WSGI handler would close the connection around each request (it is
    in a transaction, so not in autocommit), losing the test's data on
    PostgreSQL; Django's test client disconnects the same receiver.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db):
    olga, alice = UserFactory(username="olga"), UserFactory(username="alice")
    acme = OrganizationFactory(login="acme", owners=[olga], members=[alice])
    RepositoryFactory(owner_organization=acme, name="web", visibility="private")
    owner_token = fine_grained_token(olga, resource_owner=acme, permissions=OWNER_PERMISSIONS).plaintext
    read = {"permissions": {"contents": "read"}, "repository_access": "all", "resource_owner": acme}
    pending = fine_grained_token(alice, **read).token
    granted = fine_grained_token(alice, **read).token
    access_request_review(request=pending_request(granted), reviewer=olga, approve=True)
    known.update(
        {
            "personal-access-token-requests": pending_request(pending).pk,
            "personal-access-tokens": grant_of(granted).pk,
        }
    )
    yield {
        "v1": f"Bearer {api_client_create(name='fuzz').plaintext}",
        "v3": f"Bearer {owner_token}",
    }
    known.clear()


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Either the generated path, or the same path at acme (and its real request or grant).

    Only schema-valid values are replaced, so a negative example stays negative.
    """
    if not path_parameters or not isinstance(path_parameters.get("org"), str):
        return st.just(path_parameters)
    real = {"org": "acme"}
    if type(path_parameters.get("id")) is int:
        collection = context.operation.path.split("/")[5]  # /api/v3/orgs/{org}/<collection>/{id}
        real["id"] = known[collection]
    return st.sampled_from([{**path_parameters, **real}, path_parameters])


@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api(case, world):
    if case.path == "/api/v3/credentials/revoke":
        with override_settings(PATROL_CREDENTIALS_REVOKE_RATE_PER_HOUR=10**9):
            case.call_and_validate()
        return
    version = "v3" if case.path.startswith("/api/v3/") else "v1"
    case.call_and_validate(headers={"Authorization": world[version]})
