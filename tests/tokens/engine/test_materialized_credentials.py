"""On PostgreSQL a check reads each credential's facts ready made, and they are always what the query would read.

The rows are kept by triggers (tokens.engine.materialized_credentials); these
tests write every table the credential query reads, by services, queryset
updates, bulk inserts and deletes, and after each write compare every
materialized credential with the one the query builds from the tables.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from organizations.models import Membership, Organization, User
from organizations.services import membership_add, membership_remove, organization_owner_grant
from tests.factories import (
    EnterpriseFactory,
    GrantFactory,
    OrganizationFactory,
    RepositoryFactory,
    SSHKeyFactory,
    UserFactory,
    classic_token,
    fine_grained_token,
    grant_of,
    pending_request,
)
from tokens import services
from tokens.engine import facts, materialized, materialized_credentials
from tokens.engine.facts import FIELDS
from tokens.models import (
    AccessRequest,
    ClassicToken,
    EnterpriseCredentialRevocation,
    FineGrainedToken,
    Grant,
    MaterializedCredential,
    SSHKey,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="credentials are materialized on PostgreSQL only"
)


def as_the_query_reads_them() -> dict:
    found = {}
    for kind in FIELDS:
        for row in facts.credential_queryset(kind):
            key, loaded = facts.credential_from_query_row(kind, row)
            found[key] = loaded
    return found


def as_materialized() -> dict:
    found = {}
    for kind in FIELDS:
        rows = facts.materialized_credential_rows().filter(credential_type=kind)
        for row in rows:
            key, loaded = facts.credential_from_materialized_row(row)
            found[key] = loaded
    return found


def assert_materialized_as_queried():
    expected = as_the_query_reads_them()
    assert as_materialized() == expected
    assert expected  # the comparison compared something


@pytest.fixture
def world(db):
    """Users with every kind of credential and standing."""
    owner, member, outsider = (UserFactory(username=name) for name in ("olga", "alice", "zed"))
    bigcorp = EnterpriseFactory(slug="big-corp.1", name="Big Corp", owners=[owner])
    acme = OrganizationFactory(login="acme-1", enterprise=bigcorp, owners=[owner], members=[member])
    solo = OrganizationFactory(login="solo_org", owners=[outsider], members=[member])
    web = RepositoryFactory(owner_organization=acme, name="web.site")
    docs = RepositoryFactory(owner_organization=acme, name="docs")
    approved = fine_grained_token(member, resource_owner=acme, repository_access="selected", repositories=[web])
    GrantFactory(token=approved.token)
    personal = fine_grained_token(member, repository_access="all", permissions={"contents": "write"})
    classic = classic_token(member, scopes=["repo"])
    key = SSHKeyFactory(user=member)
    return locals()


def test_every_credential_is_materialized_as_the_query_reads_it(world):
    assert set(as_materialized()) == {
        world["approved"].token.digest,
        world["personal"].token.digest,
        world["classic"].token.digest,
        world["key"].fingerprint,
    }
    assert_materialized_as_queried()


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda w: membership_remove(organization=w["solo"], user=w["member"]), id="membership removed"),
        pytest.param(
            lambda w: membership_add(organization=OrganizationFactory(login="third"), user=w["member"]),
            id="membership added",
        ),
        pytest.param(
            lambda w: Membership.objects.bulk_create(
                [Membership(organization=OrganizationFactory(login="third"), user=w["member"])]
            ),
            id="membership bulk-inserted",
        ),
        pytest.param(
            lambda w: organization_owner_grant(organization=w["solo"], user=w["member"]), id="ownership granted"
        ),
        pytest.param(lambda w: User.objects.filter(username="alice").update(is_active=False), id="user suspended"),
        pytest.param(lambda w: User.objects.filter(username="alice").update(username="alicia"), id="user renamed"),
        pytest.param(
            lambda w: Organization.objects.filter(pk=w["acme"].pk).update(login="acme-renamed"), id="org renamed"
        ),
        pytest.param(
            lambda w: Organization.objects.filter(pk=w["solo"].pk).update(enterprise=w["bigcorp"]),
            id="org joins an enterprise",
        ),
        pytest.param(lambda w: w["bigcorp"].__class__.objects.update(slug="renamed-corp"), id="enterprise renamed"),
        pytest.param(
            lambda w: FineGrainedToken.objects.update(expires_at=timezone.now() + timedelta(days=3)),
            id="tokens' expiry updated in bulk",
        ),
        pytest.param(lambda w: services.token_revoke(token=w["classic"].token), id="classic token revoked"),
        pytest.param(lambda w: services.token_delete(token=w["personal"].token, actor=w["member"]), id="token deleted"),
        pytest.param(lambda w: w["approved"].token.repositories.add(w["docs"]), id="repository selected"),
        pytest.param(lambda w: w["approved"].token.repositories.clear(), id="selection cleared"),
        pytest.param(
            lambda w: services.grant_revoke(grant=grant_of(w["approved"].token), actor=w["owner"]), id="grant revoked"
        ),
        pytest.param(lambda w: Grant.objects.all().delete(), id="grants deleted"),
        pytest.param(
            lambda w: AccessRequest.objects.filter(token=w["approved"].token).update(reason="changed"),
            id="request updated",
        ),
        pytest.param(
            lambda w: EnterpriseCredentialRevocation.objects.create(
                enterprise=w["bigcorp"], classic_token=w["classic"].token, revoked_by=w["owner"]
            ),
            id="enterprise revoked a classic token",
        ),
        pytest.param(
            lambda w: SSHKey.objects.filter(pk=w["key"].pk).update(deleted_at=timezone.now()), id="key deleted"
        ),
        pytest.param(
            lambda w: services.token_regenerate(token=w["classic"].token, actor=w["member"]), id="secret regenerated"
        ),
    ],
)
def test_a_write_to_any_table_the_query_reads_is_materialized_at_once(world, write):
    write(world)

    assert_materialized_as_queried()


def test_a_pending_request_is_materialized(world):
    acme = world["acme"]
    acme.fine_grained_approval = "require"
    acme.save()
    token = fine_grained_token(world["member"], resource_owner=acme, repository_access="all").token
    assert pending_request(token).status == "pending"

    assert_materialized_as_queried()


def test_a_use_is_copied_without_recomputing_the_row(world):
    token = world["classic"].token
    row_before = MaterializedCredential.objects.get(key=token.digest).row
    used_at = timezone.now()

    ClassicToken.objects.filter(pk=token.pk).update(last_used_at=used_at)

    materialized = MaterializedCredential.objects.get(key=token.digest)
    assert (materialized.row, materialized.last_used_at) == (row_before, used_at)
    assert_materialized_as_queried()


def test_a_load_with_triggers_deferred_ends_rebuilt(world):
    with materialized.deferred():
        User.objects.filter(username="alice").update(is_active=False)
        assert as_materialized() != as_the_query_reads_them()  # the triggers were off

    assert_materialized_as_queried()


def test_installing_again_changes_nothing(world):
    assert materialized_credentials.install() is False


@pytest.mark.django_db(transaction=True)
def test_two_transactions_changing_one_users_standing_at_once_both_show():
    """Each recompute waits for the other's commit (an advisory lock per user), then reads it."""
    user = UserFactory(username="alice")
    first, second = OrganizationFactory(login="first"), OrganizationFactory(login="second")
    token = classic_token(user).token
    first_wrote = threading.Event()
    outcome = {}

    def add_first():
        try:
            with transaction.atomic():
                membership_add(organization=first, user=user)
                first_wrote.set()
                threading.Event().wait(0.5)  # the second writes meanwhile, and waits for this commit
            outcome["first"] = "committed"
        except Exception as error:
            outcome["first"] = repr(error)
        finally:
            connection.close()

    def add_second():
        try:
            first_wrote.wait(timeout=10)
            with transaction.atomic():
                membership_add(organization=second, user=user)
            outcome["second"] = "committed"
        except Exception as error:
            outcome["second"] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=add_first), threading.Thread(target=add_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcome == {"first": "committed", "second": "committed"}
    loaded = as_materialized()[token.digest]
    assert loaded.standing.member_organization_ids == {first.pk, second.pk}
    assert_materialized_as_queried()
