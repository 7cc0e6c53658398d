"""Resources of every kind load in one query on PostgreSQL, whatever the batch's size (issue 17).

On PostgreSQL a batch reads the resources' materialized rows
(tokens/engine/materialized_resources.py), every kind at once, by (kind, name);
elsewhere it reads their own tables, one query per kind.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import OrganizationFactory, RepositoryFactory
from tokens.engine.facts_batch import load_resources

EVERY_KIND = [
    ("acme/web", "repository"),
    ("alice/dotfiles", "repository"),
    ("acme/nothing", "repository"),
    ("acme", "organization"),
    ("alice", "account"),
    ("enterprise:bigcorp", "enterprise"),
]


def queries_to_load(names) -> int:
    keys = [("resource", text, kind) for text, kind in names]
    with CaptureQueriesContext(connection) as queries:
        load_resources(keys)
    return len(queries)


def test_resources_of_every_kind_load_in_one_query_on_postgresql_and_one_per_kind_elsewhere(cast):
    expected = 1 if connection.vendor == "postgresql" else 4

    assert queries_to_load(EVERY_KIND) == expected


def test_many_more_resources_load_in_as_many_queries(cast):
    for number in range(20):
        organization = OrganizationFactory(login=f"many-{number}", enterprise=cast.bigcorp)
        for name in ("a", "b.c", "d-e"):
            RepositoryFactory(owner_organization=organization, name=name)
    many = [(f"many-{number}/{name}", "repository") for number in range(20) for name in ("a", "b.c", "d-e")]
    many += [(f"many-{number}", "organization") for number in range(20)]

    assert queries_to_load(EVERY_KIND + many) == queries_to_load(EVERY_KIND)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="materialized rows are read on PostgreSQL")
def test_on_postgresql_no_resource_table_is_read(cast):
    keys = [("resource", text, kind) for text, kind in EVERY_KIND]
    with CaptureQueriesContext(connection) as queries:
        load_resources(keys)

    [read] = [query["sql"] for query in queries.captured_queries]
    assert "organizations_repository" not in read
    assert "tokens_materializedresource" in read
