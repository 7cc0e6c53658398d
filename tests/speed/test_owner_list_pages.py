"""The owners' pending requests and active tokens cost the same queries for a few rows or pages of them (issue 5)."""

import pytest

from tests.speed.conftest import FEW, MANY, Rows, costs

QUEUE = "/orgs/acme/settings/personal-access-tokens/requests/"
ACTIVE = "/orgs/acme/settings/personal-access-tokens/active/"
# Each list and whether its rows are grants (approved) or pending requests.
LISTS = [pytest.param(QUEUE, False, id="pending requests"), pytest.param(ACTIVE, True, id="active tokens")]
FILTERS = {
    QUEUE: ["owner=alice", "permission=issues_write", "repository=web"],
    ACTIVE: ["owner=emu_bob", "permission=contents_read", "repository=docs"],
}


@pytest.mark.parametrize(("url", "approved"), LISTS)
def test_the_list_costs_the_same_queries_for_few_rows_or_many(cast, owner_site, url, approved):
    urls = [url, f"{url}?page=2", *(f"{url}?{query}" for query in FILTERS[url])]
    rows = Rows(cast, approve=approved)
    rows.add(FEW)
    few = costs(owner_site, urls)
    rows.add(MANY - FEW)
    assert costs(owner_site, urls) == few


@pytest.mark.parametrize(("url", "approved"), LISTS)
def test_the_list_pages_many_rows(cast, owner_site, url, approved):
    Rows(cast, approve=approved).add(MANY)
    first, second = owner_site.get(url), owner_site.get(f"{url}?page=2")
    assert (len(first.context["rows"]), len(second.context["rows"])) == (50, MANY - 50)
