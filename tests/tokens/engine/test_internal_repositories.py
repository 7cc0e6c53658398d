"""Internal repositories (behaviour §2, §4 gate 6): any member of any organization of the
same enterprise may read them; nobody outside the enterprise may.

acme/handbook is internal to Big Corp. carol is a member of initech, another
organization of Big Corp, and of nothing else.
"""

import pytest

from organizations.services import membership_remove
from tests.factories import OrganizationFactory, UserFactory, classic_token, fine_grained_token, fingerprint_for
from tokens import services

from .helpers import check_ssh_key, check_token, set_organization_policy


@pytest.fixture
def carol(cast):
    carol = UserFactory(username="carol")
    OrganizationFactory(login="initech", enterprise=cast.bigcorp, members=[carol])
    return carol


@pytest.mark.parametrize("who", ["carol", "alice", "olga"])
def test_members_of_the_enterprise_read_internal_repositories(cast, carol, who):
    user = carol if who == "carol" else getattr(cast, who)
    token = classic_token(user, scopes=["repo"])

    assert check_token(token.plaintext, "acme/handbook", "contents:read").reason == "allowed"


@pytest.mark.parametrize("who", ["mallory", "gina", "uma", "erin"])
def test_users_outside_the_enterprise_organizations_cannot(cast, who):
    # erin owns Big Corp but is a member of none of its organizations: ownership of
    # the enterprise gives admin on enterprise:bigcorp, not on its repositories (§4 gate 6).
    token = classic_token(getattr(cast, who), scopes=["repo"])

    assert check_token(token.plaintext, "acme/handbook", "contents:read").reason == "user_lacks_access"


def test_member_of_another_organization_only_reads(cast, carol):
    token = classic_token(carol, scopes=["repo"])

    assert check_token(token.plaintext, "acme/handbook", "contents:write").reason == "user_lacks_access"


def test_member_of_another_organization_cannot_read_private_repositories(cast, carol):
    token = classic_token(carol, scopes=["repo"])

    assert check_token(token.plaintext, "acme/web", "contents:read").reason == "user_lacks_access"


def test_ssh_key_of_a_member_of_another_organization_reads(cast, carol):
    key = services.ssh_key_create(user=carol, title="carol", fingerprint=fingerprint_for("carol"))

    assert check_ssh_key(key.fingerprint, "acme/handbook", "contents:read").reason == "allowed"


def test_member_with_base_permission_none_still_reads_internal(cast):
    type(cast.acme).objects.filter(pk=cast.acme.pk).update(base_permission="none")
    token = classic_token(cast.alice, scopes=["repo"])

    assert check_token(token.plaintext, "acme/handbook", "contents:read").reason == "allowed"
    assert check_token(token.plaintext, "acme/web", "contents:read").reason == "user_lacks_access"


def test_leaving_the_last_organization_of_the_enterprise_ends_internal_read(cast, carol):
    token = classic_token(carol, scopes=["repo"])
    membership_remove(organization=type(cast.acme).objects.get(login="initech"), user=carol)

    assert check_token(token.plaintext, "acme/handbook", "contents:read").reason == "user_lacks_access"


def test_fine_grained_token_reaches_only_its_resource_owners_repositories(cast, carol):
    # A fine-grained token acts on one resource owner (§4 gate 11): carol's token for
    # initech does not reach acme's internal repository; her classic token or key does.
    initech = type(cast.acme).objects.get(login="initech")
    token = fine_grained_token(carol, resource_owner=initech, repository_access="all", permissions={"contents": "read"})

    assert check_token(token.plaintext, "acme/handbook", "contents:read").reason == "resource_owner_mismatch"


def test_classic_restriction_applies_to_internal_repositories(cast, carol):
    set_organization_policy(cast.acme, classic_access="restrict")
    token = classic_token(carol, scopes=["repo"])

    assert check_token(token.plaintext, "acme/handbook", "contents:read").reason == "classic_restricted"
