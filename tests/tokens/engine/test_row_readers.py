"""The row readers (tokens/engine/facts.py): rows by position, organizations' facts shared by value."""

from tokens.engine.catalogue import ResourceKind
from tokens.engine.facts import RESOURCE_FIELDS, picker, resource_from_row

REPOSITORY_ROW = RESOURCE_FIELDS[ResourceKind.REPOSITORY]


def repository_row(**values):
    row = dict.fromkeys(REPOSITORY_ROW)
    row.update(
        id=1,
        name="web",
        visibility="private",
        owner_organization__id=7,
        owner_organization__login="acme",
        owner_organization__base_permission="read",
        owner_organization__fine_grained_opted_in=True,
        owner_organization__fine_grained_access="allow",
        owner_organization__fine_grained_approval="not_required",
        owner_organization__classic_access="allow",
    )
    row.update(values)
    return [row[field] for field in REPOSITORY_ROW]


def test_a_picker_gives_a_tuple_for_one_name_as_for_many():
    layout = ("a", "b", "c")

    assert picker(layout, ["b"])((1, 2, 3)) == (2,)
    assert picker(layout, ["c", "a"])((1, 2, 3)) == (3, 1)
    assert picker(("x__a", "x__id"), ["id"], "x__")((0, 9)) == (9,)


def test_repositories_of_one_organization_share_its_facts():
    web = resource_from_row(ResourceKind.REPOSITORY, "acme/web", repository_row())
    docs = resource_from_row(ResourceKind.REPOSITORY, "acme/docs", repository_row(id=2, name="docs"))

    assert web.organization is docs.organization
    assert web.repository_id != docs.repository_id


def test_an_organization_whose_policy_changed_reads_as_new_facts():
    before = resource_from_row(ResourceKind.REPOSITORY, "acme/web", repository_row())
    after = resource_from_row(
        ResourceKind.REPOSITORY, "acme/web", repository_row(owner_organization__classic_access="restrict")
    )

    assert (before.organization.classic_access, after.organization.classic_access) == ("allow", "restrict")
