"""The fixed cast every test can lean on (STYLE: tests/conftest.py).

bigcorp (enterprise, owner erin) ─ acme (owner olga; members alice, emu_bob)
othercorp (enterprise, owner oscar) ─ globex (owner gina; member mallory, the outsider)
umbrella: a standalone organization (owner uma).
"""

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from organizations.services import user_make_site_administrator
from tests.factories import (
    AccessRequestFactory,
    ApiClientFactory,
    EnterpriseFactory,
    FineGrainedTokenFactory,
    OrganizationFactory,
    RepositoryFactory,
    UserFactory,
)
from tokens.api import throttling
from tokens.engine import facts_cache, report_only, usage

# What an organization owner's own token needs to read and review acme's requests and tokens on v3.
OWNER_PERMISSIONS = {
    "organization_personal_access_token_requests": "write",
    "organization_personal_access_tokens": "write",
}


def client_for(user=None) -> Client:
    """A site client signed in as `user` (anonymous without one)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_for(secret, scheme="Bearer") -> APIClient:
    """An API client that sends `secret` (an API client's or a token's) on every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {secret}")
    return client


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    facts_cache.forget()
    usage.forget()
    report_only.forget()
    throttling.forget()
    yield
    cache.clear()


@pytest.fixture
def cast(db):
    erin, olga, alice, oscar, gina, mallory, uma = (
        UserFactory(username=name) for name in ("erin", "olga", "alice", "oscar", "gina", "mallory", "uma")
    )
    bigcorp = EnterpriseFactory(slug="bigcorp", name="Big Corp", owners=[erin])
    othercorp = EnterpriseFactory(slug="othercorp", name="Other Corp", owners=[oscar])
    emu_bob = UserFactory(username="emu_bob", managed_by=bigcorp)
    acme = OrganizationFactory(login="acme", enterprise=bigcorp, owners=[olga], members=[alice, emu_bob])
    globex = OrganizationFactory(login="globex", enterprise=othercorp, owners=[gina], members=[mallory])
    umbrella = OrganizationFactory(login="umbrella", owners=[uma])
    return SimpleNamespace(
        erin=erin,
        olga=olga,
        alice=alice,
        emu_bob=emu_bob,
        oscar=oscar,
        gina=gina,
        mallory=mallory,
        uma=uma,
        bigcorp=bigcorp,
        othercorp=othercorp,
        acme=acme,
        globex=globex,
        umbrella=umbrella,
        web=RepositoryFactory(owner_organization=acme, name="web", visibility="private"),
        docs=RepositoryFactory(owner_organization=acme, name="docs", visibility="public"),
        handbook=RepositoryFactory(owner_organization=acme, name="handbook", visibility="internal"),
        secret_plans=RepositoryFactory(owner_organization=globex, name="plans", visibility="private"),
        dotfiles=RepositoryFactory(owner_user=alice, name="dotfiles", visibility="private"),
    )


def request_for(user, cast, **kwargs):
    """`user`'s pending request for read access to all of acme's contents (arguments: the token's)."""
    kwargs.setdefault("permissions", {"contents": "read"})
    kwargs.setdefault("repository_access", "all")
    return AccessRequestFactory(user=user, organization=cast.acme, **kwargs)


@pytest.fixture
def root(cast):
    """A site administrator, beside the cast."""
    return client_for(user_make_site_administrator(user=UserFactory(username="root")))


@pytest.fixture
def erin(cast):
    """Owner of bigcorp (acme), signed in."""
    return client_for(cast.erin)


@pytest.fixture
def oscar(cast):
    """Owner of othercorp (globex), signed in."""
    return client_for(cast.oscar)


@pytest.fixture
def olga(cast):
    """Owner of acme (in bigcorp), signed in."""
    return client_for(cast.olga)


@pytest.fixture
def uma(cast):
    """Owner of umbrella, a standalone organization, signed in."""
    return client_for(cast.uma)


@pytest.fixture
def gateway(db):
    """An API client's secret, as create_api_client prints it."""
    return ApiClientFactory(name="gateway").plaintext


@pytest.fixture
def api(gateway):
    """The v1 API as that client."""
    return api_for(gateway)


@pytest.fixture
def owner_api(cast):
    """olga's own fine-grained token for acme, as an owner would make it (auto-approved), on v3."""
    return api_for(
        FineGrainedTokenFactory(user=cast.olga, resource_owner=cast.acme, permissions=OWNER_PERMISSIONS).plaintext
    )
