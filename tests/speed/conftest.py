"""Rows in bulk for the speed tests: the owners' lists must not cost more queries with more rows.

Rows are made by the factories, through the services; a handful at
first, then enough for more than one page of every list (the site's pages show
50 rows, the v3 endpoints 30 by default).
"""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import FineGrainedTokenFactory

FEW = 3
MANY = 60  # two pages of the site's lists (50 a page) and of the v3 lists (30 a page)


def queries_for(client, url) -> int:
    """Queries of one GET of `url`, after one unmeasured GET of it.

    The unmeasured GET takes what a first request may add once and not again:
    the owner token's once-a-minute last-use write and cache fills.
    """
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def costs(client, urls) -> dict[str, int]:
    return {url: queries_for(client, url) for url in urls}


class Rows:
    """Pending requests or active grants in acme, from alice and emu_bob in turn."""

    def __init__(self, cast, *, approve: bool):
        self.cast, self.approve = cast, approve
        self.holders = itertools.cycle([cast.alice, cast.emu_bob])
        self.count = 0

    def add(self, number: int) -> None:
        for _ in range(number):
            self.count += 1
            # Some rows on selected repositories, so their snapshot's repositories are shown too.
            repositories = [[], [self.cast.web], [self.cast.web, self.cast.docs]][self.count % 3]
            FineGrainedTokenFactory(
                user=next(self.holders),
                resource_owner=self.cast.acme,
                repository_access="selected" if repositories else "all",
                repositories=repositories,
                permissions={"contents": "read", "issues": "write"},
                approved=self.approve,
            )


@pytest.fixture
def owner_site(client, cast):
    client.force_login(cast.olga)
    return client
