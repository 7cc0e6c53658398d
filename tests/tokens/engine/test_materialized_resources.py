"""Resources' materialized rows are what the resource query reads, after any write (issue 17; PostgreSQL).

tokens/engine/materialized_resources.py keeps one row per resource by
triggers. Here, over names with dots, dashes, underscores and the longest
lengths, every kind of write — saves, queryset updates, bulk creates,
deletes, renames, an organization moving into an enterprise, staged
policies — leaves every row equal to what `resource_queryset` selects, and no
row for a resource that is gone. Writes that change nothing the query reads
recompute nothing.
"""

import json

import pytest
from django.db import connection

from enterprises.models import Enterprise
from organizations.models import Organization, Repository, User
from policies.models import StagedPolicy
from policies.services import (
    enterprise_policy_update,
    organization_policy_update,
    policy_discard_staged,
    policy_stage,
)
from tests.factories import EnterpriseFactory, OrganizationFactory, RepositoryFactory, UserFactory
from tokens.engine import facts_batch, materialized_resources
from tokens.engine.catalogue import ResourceKind
from tokens.engine.facts import (
    RESOURCE_FIELDS,
    materialized_resource_queryset,
    resource_from_materialized,
    resource_queryset,
)
from tokens.engine.prepared import PreparedQuery
from tokens.models import MaterializedResource

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="materialized by PostgreSQL triggers")

LONGEST_LOGIN = "L" + "-_9" * 12 + "z" * 2  # 39 characters
LONGEST_SLUG = "x" + "-y" * 19  # 39 characters
LONGEST_REPOSITORY = "r." + "-_" * 49  # 100 characters


def queried_rows() -> dict[tuple[str, str], list]:
    """(kind, name) -> the row `resource_queryset` selects, for every resource there is."""
    rows = {}
    for repository in Repository.objects.select_related("owner_organization", "owner_user"):
        [row] = resource_queryset(ResourceKind.REPOSITORY, repository.owner_login, repository.name)
        rows[(ResourceKind.REPOSITORY, repository.full_name)] = list(row)
    for kind, model, field in (
        (ResourceKind.ORGANIZATION, Organization, "login"),
        (ResourceKind.ACCOUNT, User, "username"),
        (ResourceKind.ENTERPRISE, Enterprise, "slug"),
    ):
        for name in model.objects.values_list(field, flat=True):
            [row] = resource_queryset(kind, name, "")
            rows[(kind, name)] = list(row)
    return rows


def materialized_rows() -> dict[tuple[str, str], list]:
    return {(row.kind, row.name): json.loads(row.row) for row in MaterializedResource.objects.all()}


def assert_materialized_as_queried():
    assert materialized_rows() == queried_rows()


@pytest.fixture
def world(cast):
    """The cast, and resources whose names are as odd as the patterns allow."""
    odd = EnterpriseFactory(slug=LONGEST_SLUG, name="Odd")
    dashed = OrganizationFactory(login="A-b_C", enterprise=odd)
    longest = OrganizationFactory(login=LONGEST_LOGIN)
    for name in (".", "..", "a.b", "-", "_", "Web", "web", LONGEST_REPOSITORY):
        RepositoryFactory(owner_organization=dashed, name=name)
    RepositoryFactory(owner_organization=longest, name="x_y-z.w", visibility="public")
    someone = UserFactory(username="u_-1")
    RepositoryFactory(owner_user=someone, name=".dotfiles")
    policy_stage(instance=dashed, actor=None, values={"classic_access": "restrict"})
    policy_stage(instance=odd, actor=None, values={"fine_grained_access": "restrict"})
    policy_stage(instance=cast.bigcorp, actor=None, values={"classic_access": "restrict"})
    return cast, dashed, longest, someone, odd


def test_every_resource_has_the_row_the_resource_query_reads(world):
    assert_materialized_as_queried()
    assert len(materialized_rows()) == len(queried_rows()) > 20


WRITES = {
    "an organization's policies saved": lambda world: organization_policy_update(
        organization=world[1], fine_grained_access="restrict", classic_access="restrict"
    ),
    "an enterprise's policies saved": lambda world: enterprise_policy_update(
        enterprise=world[0].bigcorp, fine_grained_approval="disabled", max_lifetime_exempts_owners=True
    ),
    "a repository's visibility saved": lambda world: _save(world[0].web, visibility="public"),
    "repositories updated as a queryset": lambda world: Repository.objects.filter(owner_organization=world[1]).update(
        visibility="public"
    ),
    "organizations updated as a queryset": lambda world: Organization.objects.update(base_permission="write"),
    "repositories created in bulk": lambda world: Repository.objects.bulk_create(
        [Repository(owner_organization=world[2], name=f"bulk.{n}") for n in range(3)]
        + [Repository(owner_user=world[3], name="bulk-mine")]
    ),
    "organizations created in bulk": lambda world: Organization.objects.bulk_create(
        [Organization(login=f"bulk-{n}", enterprise=world[4]) for n in range(3)]
    ),
    "a repository renamed": lambda world: _save(world[0].web, name="web.renamed"),
    "a repository deleted": lambda world: world[0].web.delete(),
    "an organization renamed": lambda world: _save(world[1], login="renamed_org"),
    "an organization deleted with its repositories": lambda world: world[1].delete(),
    "an organization moved into an enterprise": lambda world: _save(world[2], enterprise=world[0].othercorp),
    "an organization moved out of its enterprise": lambda world: Organization.objects.filter(pk=world[1].pk).update(
        enterprise=None
    ),
    "an enterprise renamed": lambda world: _save(world[0].bigcorp, slug="bigcorp-renamed"),
    "an enterprise deleted": lambda world: _delete_enterprise(world[4]),
    "a user renamed": lambda world: _save(world[0].alice, username="alice_2"),
    "a user deleted with their repositories": lambda world: world[3].delete(),
    "a repository moved from its user to an organization": lambda world: _save(
        world[0].dotfiles, owner_user=None, owner_organization=world[2]
    ),
    "a policy staged on an organization": lambda world: policy_stage(
        instance=world[0].umbrella, actor=None, values={"fine_grained_access": "restrict"}
    ),
    "a staged policy changed": lambda world: StagedPolicy.objects.filter(organization=world[1]).update(
        fine_grained_max_lifetime_days=30
    ),
    "a staged policy discarded": lambda world: policy_discard_staged(
        instance=world[0].bigcorp, actor=None, staged_id=world[0].bigcorp.staged_policy.id
    ),
    "staged policies deleted as a queryset": lambda world: StagedPolicy.objects.all().delete(),
}


def _save(instance, **values):
    for name, value in values.items():
        setattr(instance, name, value)
    instance.save()


def _delete_enterprise(enterprise):
    Repository.objects.filter(enterprise=enterprise).update(enterprise=None)
    Organization.objects.filter(enterprise=enterprise).update(enterprise=None)
    enterprise.delete()


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_rows_stay_what_the_resource_query_reads_after(world, write):
    write(world)

    assert_materialized_as_queried()


def test_rows_stay_what_the_resource_query_reads_after_every_write_in_turn(world):
    deletes_last = sorted(WRITES, key=lambda name: "deleted" in name)
    for write in (WRITES[name] for name in deletes_last):
        write(world)
        for instance in world[1:]:
            if type(instance).objects.filter(pk=instance.pk).exists():
                instance.refresh_from_db()

    assert_materialized_as_queried()


def test_a_renamed_organizations_old_names_are_gone(world):
    _, dashed, *_ = world
    _save(dashed, login="renamed")

    names = {name for _, name in materialized_rows()}
    assert "A-b_C" not in names
    assert not any(name.startswith("A-b_C/") for name in names)
    assert "renamed/a.b" in names


def _row_locations() -> dict[tuple[str, str], str]:
    """Where each row is stored: a recomputed row is deleted and inserted again, somewhere else."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT kind, name, ctid::text FROM {MaterializedResource._meta.db_table}")
        return {(kind, name): location for kind, name, location in cursor.fetchall()}


@pytest.mark.parametrize(
    "write",
    [
        lambda cast: User.objects.filter(pk=cast.alice.pk).update(last_login="2026-01-01T00:00:00Z"),
        lambda cast: _save(cast.acme, name="ACME Corporation"),  # saves every column, changes none read
        lambda cast: Organization.objects.filter(pk=cast.acme.pk).update(policy_revision=7),
        lambda cast: Enterprise.objects.update(revoke_unused_after_days=90),
    ],
    ids=["a user's last login", "an organization's display name", "a policy revision", "an unread enterprise setting"],
)
def test_a_write_that_changes_nothing_the_query_reads_recomputes_nothing(cast, write):
    before = _row_locations()
    write(cast)

    assert _row_locations() == before


def truncate(model):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a TRUNCATE waits for no deferred foreign key check
        cursor.execute(f"TRUNCATE {model._meta.db_table} CASCADE")


def test_a_truncated_table_leaves_no_rows_of_its_kind(world):
    truncate(Repository)

    assert not MaterializedResource.objects.filter(kind=ResourceKind.REPOSITORY).exists()
    assert_materialized_as_queried()


def test_a_truncated_staged_policy_table_recomputes_the_rows_it_rode_on(world):
    truncate(StagedPolicy)

    assert_materialized_as_queried()


def test_a_rebuild_puts_back_every_row(world):
    MaterializedResource.objects.all().delete()

    materialized_resources.rebuild()

    assert_materialized_as_queried()


def test_installing_again_what_is_installed_does_nothing(world):
    assert materialized_resources.install() is False


def test_migrating_drops_the_triggers_then_puts_them_back_with_every_row(world):
    cast = world[0]
    materialized_resources.drop_before_migrating(sender=None, plan=[("a migration", False)])
    Repository.objects.filter(pk=cast.web.pk).update(visibility="public")  # as a migration might, unseen
    assert materialized_rows() != queried_rows()

    materialized_resources.install_after_migrating(sender=None)

    assert_materialized_as_queried()
    Repository.objects.filter(pk=cast.web.pk).update(visibility="private")
    assert_materialized_as_queried()


def test_the_batch_reads_facts_equal_to_the_resource_querys(world):
    keys = [("resource", f"{owner}/{name}", "repository") for owner, name in (("acme", "web"), ("A-b_C", "."))]
    keys += [("resource", text, kind) for text, kind in [("A-b_C", "organization"), ("acme", "account")]]
    keys += [("resource", f"enterprise:{LONGEST_SLUG}", "enterprise"), ("resource", "alice", "account")]
    keys += [("resource", "acme/nothing", "repository"), ("resource", "u_-1/.dotfiles", "repository")]
    wanted = facts_batch.wanted_resources(keys)

    loaded = facts_batch.load_resources(keys)

    assert loaded == facts_batch._load_normalized(wanted)
    assert not loaded[("resource", "acme/nothing", "repository")].exists
    assert loaded[("resource", "A-b_C/.", "repository")].staged


def test_the_single_checks_query_finds_the_row_by_owner_and_name(world):
    query = PreparedQuery(
        lambda owner, name: materialized_resource_queryset(ResourceKind.REPOSITORY, owner, name), owner=str, name=str
    )
    [(row,)] = query.rows(owner="A-b_C", name=LONGEST_REPOSITORY)

    assert json.loads(row) == list(resource_queryset(ResourceKind.REPOSITORY, "A-b_C", LONGEST_REPOSITORY)[0])
    assert query.rows(owner="A-b_C", name="missing") == []
    assert resource_from_materialized(ResourceKind.REPOSITORY, "A-b_C/missing", None).exists is False


def test_the_triggers_watch_every_table_the_resource_query_reads():
    read = {model._meta.db_table for model in materialized_resources.columns_read()}
    for kind in ResourceKind:
        sql = str(resource_queryset(kind, "owner", "name").query)
        tables = {model._meta.db_table for model in (Repository, Organization, User, Enterprise, StagedPolicy)}
        assert {table for table in tables if f'"{table}"' in sql} <= read


def test_no_resource_field_is_a_datetime_so_json_keeps_every_value_as_read():
    for kind in ResourceKind:
        queryset = resource_queryset(kind, "owner", "name")
        compiler = queryset.query.get_compiler(connection=connection)
        compiler.setup_query()
        types = {column.output_field.get_internal_type() for column, _, _ in compiler.select}
        assert not types & {"DateTimeField", "DateField", "TimeField", "DecimalField", "JSONField"}, kind
        assert len(compiler.select) == len(RESOURCE_FIELDS[kind])
