"""The approval queue costs the same queries for a few pending requests or pages of them (issue 5)."""

from tests.speed.conftest import FEW, MANY, Rows, costs

QUEUE = "/orgs/acme/settings/personal-access-tokens/requests/"
URLS = [
    QUEUE,
    f"{QUEUE}?page=2",
    f"{QUEUE}?owner=alice",
    f"{QUEUE}?permission=issues_write",
    f"{QUEUE}?repository=web",
]


def test_the_queue_costs_the_same_queries_for_few_requests_or_many(cast, owner_site):
    rows = Rows(cast, approve=False)
    rows.add(FEW)
    few = costs(owner_site, URLS)
    rows.add(MANY - FEW)
    assert costs(owner_site, URLS) == few


def test_the_queue_pages_many_requests(cast, owner_site):
    Rows(cast, approve=False).add(MANY)
    first, second = owner_site.get(QUEUE), owner_site.get(f"{QUEUE}?page=2")
    assert (len(first.context["rows"]), len(second.context["rows"])) == (50, MANY - 50)
