"""The fixed cast every test can lean on (STYLE: tests/conftest.py).

bigcorp (enterprise, owner erin) ─ acme (owner olga; members alice, emu_bob)
othercorp (enterprise, owner oscar) ─ globex (owner gina; member mallory, the outsider)
umbrella: a standalone organization (owner uma).
"""

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from tests.factories import EnterpriseFactory, OrganizationFactory, RepositoryFactory, UserFactory
from tokens.api import throttling
from tokens.engine import facts_cache, usage


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    facts_cache.forget()
    usage.forget()
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
