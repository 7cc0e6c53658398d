"""The active tokens page costs the same queries for a few grants or pages of them (issue 5)."""

from tests.speed.conftest import FEW, MANY, Rows, costs

ACTIVE = "/orgs/acme/settings/personal-access-tokens/active/"
URLS = [
    ACTIVE,
    f"{ACTIVE}?page=2",
    f"{ACTIVE}?owner=emu_bob",
    f"{ACTIVE}?permission=contents_read",
    f"{ACTIVE}?repository=docs",
]


def test_the_active_tokens_page_costs_the_same_queries_for_few_grants_or_many(cast, owner_site):
    rows = Rows(cast, approve=True)
    rows.add(FEW)
    few = costs(owner_site, URLS)
    rows.add(MANY - FEW)
    assert costs(owner_site, URLS) == few


def test_the_active_tokens_page_pages_many_grants(cast, owner_site):
    Rows(cast, approve=True).add(MANY)
    first, second = owner_site.get(ACTIVE), owner_site.get(f"{ACTIVE}?page=2")
    assert (len(first.context["rows"]), len(second.context["rows"])) == (50, MANY - 50)
