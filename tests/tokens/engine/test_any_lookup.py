"""``field__any`` and the array parameter it sends (tokens/lookups.py): exactly the rows named,
whatever the names contain, and one prepared statement for every length on PostgreSQL."""

import pytest
from django.db import DataError, connection
from hypothesis import given, settings
from hypothesis import strategies as st

from organizations.models import Organization, Repository
from tests.factories import OrganizationFactory, RepositoryFactory, UserFactory
from tokens.engine.facts_batch import _repository_ids
from tokens.engine.prepared import PreparedQuery
from tokens.lookups import array_parameter

pytestmark = pytest.mark.django_db

# Text an array literal gives meaning to, each on its own and together.
HOSTILE = [
    'quote"inside',
    "back\\slash",
    "trailing\\",
    '\\"',
    "comma,separated",
    "{braces}",
    "}",
    "{",
    "with space",
    " leading",
    "NULL",
    "null",
    "",
    '","',
    '{"a","b"}',
    "tab\there",
    "new\nline",
    "no\u2003break",
    "ünïcødé",
    "'single'",
    "$1",
]


def logins(queryset) -> list[str]:
    return sorted(queryset.values_list("login", flat=True))


def test_any_finds_each_hostile_name_exactly():
    for login in HOSTILE:
        OrganizationFactory(login=login)
    OrganizationFactory(login="bystander")

    assert logins(Organization.objects.filter(login__any=HOSTILE)) == sorted(HOSTILE)


def test_any_finds_one_hostile_name_and_no_other():
    for login in HOSTILE:
        OrganizationFactory(login=login)

    for login in HOSTILE:
        assert logins(Organization.objects.filter(login__any=[login])) == [login]


def test_a_name_made_of_other_names_finds_none_of_them():
    OrganizationFactory(login="a")
    OrganizationFactory(login="b")

    assert logins(Organization.objects.filter(login__any=['a","b', "{a,b}", "a,b"])) == []


def test_any_of_no_names_finds_nothing():
    OrganizationFactory(login="acme-two")

    assert logins(Organization.objects.filter(login__any=[])) == []


def test_any_of_integers_finds_those_rows():
    first, _, third = (OrganizationFactory() for _ in range(3))

    assert set(Organization.objects.filter(pk__any=[first.pk, third.pk])) == {first, third}


def test_any_through_a_relation_finds_its_rows():
    organization = OrganizationFactory()
    repository = RepositoryFactory(owner_organization=organization)
    RepositoryFactory(owner_organization=OrganizationFactory())

    assert list(Repository.objects.filter(owner_organization__any=[organization.pk])) == [repository]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL refuses NUL in text")
def test_a_name_with_nul_is_refused_as_text_is():
    with pytest.raises(DataError):
        list(Organization.objects.filter(login__any=["nul\x00inside"]))


def test_repository_pairs_match_hostile_owners_and_names_exactly():
    owners = [OrganizationFactory(login=login) for login in ('o"1', "o\\2", "o,3")]
    user = UserFactory(username="u{4}")
    wanted = [
        RepositoryFactory(owner_organization=owners[0], name='r"{1}'),
        RepositoryFactory(owner_organization=owners[1], name="r\\2"),
        RepositoryFactory(owner_user=user, name="NULL"),
    ]
    RepositoryFactory(owner_organization=owners[2], name="r\\2")  # a name asked for, under another owner

    found = Repository.objects.filter(pk__in=_repository_ids(['o"1', "o\\2", "u{4}"], ['r"{1}', "r\\2", "NULL"]))

    assert set(found) == set(wanted)


def test_a_prepared_any_query_answers_every_length():
    names = [OrganizationFactory(login=f"prepared-{number}").login for number in range(5)]
    query = PreparedQuery(
        lambda owners: Organization.objects.filter(login__any=owners).values_list("login"), owners=[str]
    )

    for count in (3, 0, 1, 5):
        assert sorted(login for (login,) in query.rows(owners=names[:count])) == names[:count]


def test_a_prepared_query_tells_two_empty_lists_apart():
    organization = OrganizationFactory(login="kept")
    query = PreparedQuery(
        lambda first, second: (
            Organization.objects.filter(login__any=first).exclude(login__any=second).values_list("login")
        ),
        first=[str],
        second=[str],
    )

    assert query.rows(first=[], second=[]) == []
    assert query.rows(first=[organization.login], second=[]) == [("kept",)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="other databases compile a statement per length")
def test_a_prepared_any_query_is_one_statement_for_every_length_on_postgresql():
    query = PreparedQuery(lambda owners: Organization.objects.filter(login__any=owners).values_list("id"), owners=[str])

    for count in (1, 7, 100):
        query.rows(owners=[f"login-{number}" for number in range(count)])

    assert len(query._compiled) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL array literal")
@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))), max_size=6))
def test_any_list_of_strings_reaches_postgresql_as_it_is(values):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [array_parameter(values)])
        assert cursor.fetchone()[0] == values


def test_an_array_parameter_quotes_every_string():
    assert array_parameter(['a"b', "c\\d", ""]) == '{"a\\"b","c\\\\d",""}'


def test_an_array_parameter_of_integers_is_their_digits():
    assert array_parameter([1, -2, 30]) == "{1,-2,30}"


def test_an_array_parameter_of_anything_else_is_the_list_itself():
    assert array_parameter([True, False]) == [True, False]
